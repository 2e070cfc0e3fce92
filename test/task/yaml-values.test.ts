import { describe, expect, it } from 'vitest';
import { describe as describeValue, isMapping, parseText } from '../../node/task/fields.ts';
import { TaskManifestError, parseTaskManifest } from '../../node/task/manifest.ts';
import { validatePeerConfig } from '../../node/cli/peer-config.ts';

const manifest = (model: string, extra = '') => `version: 1\nid: tiny-task\nmodel: ${model}\ndata: {builtin: mnist}\nstopping: {rounds: 5}\n${extra}`;

function problemsOf(text: string): readonly string[] {
  try {
    parseTaskManifest(text, 'test.yaml');
  } catch (error) {
    expect((error as Error).name).toBe('TaskManifestError');
    return (error as TaskManifestError).problems;
  }
  throw new Error('expected the manifest to be rejected');
}

describe('YAML typed values', () => {
  it('name !!binary, !!timestamp, !!set and !!omap as what they are, not "a mapping"', () => {
    expect(problemsOf(manifest('{preset: logreg, seed: !!binary aGVsbG8=}'))).toEqual(['model.seed: must be a whole number, got binary data (!!binary, 5 bytes)']);
    expect(problemsOf(manifest('{preset: logreg, seed: !!timestamp 2001-12-14}'))).toEqual(['model.seed: must be a whole number, got a timestamp (2001-12-14T00:00:00.000Z)']);
    expect(problemsOf(manifest('{preset: logreg}', 'encoding: !!set {f32}\n'))).toEqual(['encoding: must be one of f32, f16, int8, got a set (!!set)']);
    expect(problemsOf(manifest('{preset: logreg}', 'mode: !!omap [a: 1]\n'))).toEqual(['mode: must be one of curator, gossip, got an ordered mapping (!!omap)']);
  });

  it('never take binary data or a timestamp for a section (a mapping of fields)', () => {
    // A Date or Buffer has no keys of its own: read as a mapping, `training` would pass as empty.
    expect(problemsOf(manifest('{preset: logreg}', 'training: !!timestamp 2001-12-14\n'))).toEqual(['training: must be a mapping of fields, got a timestamp (2001-12-14T00:00:00.000Z)']);
    expect(problemsOf(manifest('!!binary aGVsbG8='))).toEqual(['model: must be a mapping of fields, got binary data (!!binary, 5 bytes)']);
    expect(isMapping(new Date(0))).toBe(false);
    expect(isMapping(new Uint8Array(2))).toBe(false);
    expect(isMapping({ a: 1 })).toBe(true);
    expect(isMapping(Object.create(null))).toBe(true);
    expect(describeValue(new Map())).toBe('an ordered mapping (!!omap)');
    expect(() => validatePeerConfig({ allowList: new Date(0) }, 'config.yaml', '/data')).toThrow(/allowList: must be a list, got a timestamp/);
  });
});

describe('whole numbers beyond 2^53 - 1', () => {
  it('are refused with line, column, field path and the number as written, never rounded', () => {
    expect(problemsOf(manifest('{preset: logreg, seed: 9007199254740993}'))).toEqual([
      'line 3, column 31: model.seed: the whole number 9007199254740993 cannot be read exactly; whole numbers must lie between -9007199254740991 and 9007199254740991 (2^53 - 1)',
    ]);
    // 2^53 itself is exact but is also what 2^53 + 1 rounds to: refused too. Hex is read exactly.
    expect(problemsOf(manifest('{preset: logreg, seed: 9007199254740992}'))[0]).toContain('model.seed: the whole number 9007199254740992 cannot');
    expect(problemsOf(manifest('{preset: logreg, seed: 0x20000000000001}'))[0]).toContain('model.seed: the whole number 9007199254740993 cannot');
    expect(problemsOf(manifest('{preset: logreg, seed: -9007199254740993}'))[0]).toContain('model.seed: the whole number -9007199254740993 cannot');
    // Any field, any depth, in lists too; JSON text alike.
    expect(problemsOf(manifest('{preset: logreg}', 'timing: {maxBlobBytes: 18446744073709551616}\n'))[0]).toMatch(/^line 6, column \d+: timing\.maxBlobBytes: the whole number 18446744073709551616 cannot/);
    const json = '{"version": 1, "id": "tiny-task", "model": {"preset": "logreg"}, "data": {"featureCount": 2, "classes": [0, 12345678901234567890], "labelColumn": "y"}, "stopping": {"rounds": 5}}';
    expect(problemsOf(json)[0]).toMatch(/^line 1, column \d+: data\.classes\[1\]: the whole number 12345678901234567890 cannot/);
  });

  it('refuses a decimal that is not whole but would read as a whole number; whole decimals stay accepted', () => {
    expect(problemsOf(manifest('{preset: logreg, seed: 9007199254740990.9}'))).toEqual([
      'line 3, column 31: model.seed: 9007199254740990.9 is not a whole number but would be read as the whole number 9007199254740991; write it with fewer digits',
    ]);
    expect(parseText('a: 1.5e3\nb: 100e-2\nc: 1.0\nd: 0.25\ne: 1e300\n', 'test')).toEqual({ value: { a: 1500, b: 1, c: 1, d: 0.25, e: 1e300 } });
    expect(parseTaskManifest(manifest('{preset: logreg, seed: 2.0e3}'), 't').model.seed).toBe(2000);
  });

  it('keeps whole numbers up to 2^53 - 1 exact and as numbers; a decimal too large for an integer field is named as such', () => {
    expect(parseTaskManifest(manifest('{preset: logreg, seed: 9007199254740991}'), 't').model.seed).toBe(9007199254740991);
    expect(parseTaskManifest(manifest('{preset: logreg, seed: -42}'), 't').model.seed).toBe(-42);
    const parsed = parseText('a: 1\nb: [2, 0x10]\n3: c\n', 'test');
    expect(parsed).toEqual({ value: { a: 1, b: [2, 16], 3: 'c' } });
    expect(problemsOf(manifest('{preset: logreg, seed: 1.0e17}'))).toEqual(['model.seed: must be a whole number, got a number too large to be read exactly (9007199254740991 is the largest whole number allowed)']);
  });
});
