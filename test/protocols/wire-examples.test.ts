/**
 * docs/PROTOCOL.md §5.8 (advert examples) and §6.7 (blob protocol example) against the codecs:
 * the hex in the document is what the reference writes for the adverts and blob messages the
 * document describes, and decodes back to them.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeAdvert, encodeAdvert } from '../../protocols/adverts/codec.ts';
import { encodeRequest, encodeResponseHeader, encodeVarint, frame } from '../../protocols/blob/wire.ts';
import type { Advert } from '../../protocols/messages.ts';
import { docPart, hexBytes, tableRows } from './doc-tables.ts';

const ADVERTS = docPart('### 5.8 ', '### 5.9 ');
const BLOBS = docPart('### 6.7 ', '---');
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** B: the f32 blob's hash from §3.5's table; X, Y: sha256 of "x" and "y". */
const B = tableRows(docPart('### 3.5 ', '### 3.6 '), ['encoding', 'blob (hex)', 'sha256 of blob']).find(([encoding]) => encoding === 'f32')![2]!;
const X = sha256('x');
const Y = sha256('y');

/** The hex of each code block of `section`, comments dropped and <B>/<X>/<Y> filled in. */
function codeBlocks(section: string): string[] {
  const blocks = [...section.matchAll(/```\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.map((block) =>
    block
      .split('\n')
      .map((line) => {
        const tokens: string[] = [];
        for (const token of line.trim().split(/\s+/)) {
          const filled = token.replaceAll('<B>', B).replaceAll('<X>', X).replaceAll('<Y>', Y);
          if (!/^([0-9a-f]{2})+$/.test(filled)) break; // the rest of the line is a comment
          tokens.push(filled);
        }
        return tokens.join('');
      })
      .join(''),
  );
}

describe('PROTOCOL §5.8 advert examples', () => {
  const sentAt = 1_700_000_000_000;
  const adverts: Advert[] = [
    { kind: 'presence', task: 'kat-task', round: 3, head: B, age: 0, sentAt },
    { kind: 'delta', task: 'kat-task', round: 1, base: B, delta: X, bytes: 60, samples: 100, metrics: { loss: 0.5, accuracy: 0.75 }, sentAt },
    {
      kind: 'version', task: 'kat-task', round: 1, hash: Y, parent: B, bytes: 36,
      contributors: [{ peer: '12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5', delta: X, samples: 100 }], merged: [], sentAt,
    },
  ];

  it('abbreviates the hashes it uses correctly', () => {
    const abbreviated = (name: string) => {
      const match = new RegExp(`${name} = (?:sha256\\("[a-z]"\\) = )?([0-9a-f]{8})…([0-9a-f]{6})`).exec(ADVERTS);
      expect(match, name).not.toBeNull();
      return [match![1], match![2]];
    };
    expect(abbreviated('B')).toEqual([B.slice(0, 8), B.slice(-6)]);
    expect(abbreviated('X')).toEqual([X.slice(0, 8), X.slice(-6)]);
    expect(abbreviated('Y')).toEqual([Y.slice(0, 8), Y.slice(-6)]);
  });

  it('gives, for each example, the bytes the codec writes, which decode back to the advert', () => {
    const blocks = codeBlocks(ADVERTS);
    expect(blocks).toHaveLength(adverts.length);
    adverts.forEach((advert, i) => {
      expect(blocks[i], advert.kind).toBe(hex(encodeAdvert(advert)));
      expect(decodeAdvert(hexBytes(blocks[i]!))).toEqual(advert);
    });
  });
});

describe('PROTOCOL §6.7 blob protocol example', () => {
  it('writes the documented request, answers and varints', () => {
    const [request] = codeBlocks(BLOBS);
    expect(request).toBe(hex(encodeRequest({ hash: B, maxBytes: 64 * 1024 * 1024 }))); // frames included
    const answers = [...BLOBS.matchAll(/`(0a 01 0[0-4] [0-9a-f]{16})` \(([a-z-]+)/g)].map((m) => [m[1]!.replace(/ /g, ''), m[2]]);
    expect(answers).toEqual([
      [hex(encodeResponseHeader({ status: 'ok', size: 36 })), 'ok'],
      [hex(encodeResponseHeader({ status: 'not-found', size: 0 })), 'not-found'],
    ]);
    const blob = hexBytes(tableRows(docPart('### 3.5 ', '### 3.6 '), ['encoding', 'blob (hex)', 'sha256 of blob']).find(([encoding]) => encoding === 'f32')![1]!);
    expect(blob.byteLength).toBe(36);
    const chunk = /one chunk frame `([0-9a-f]{2}) <(\d+) blob\s+bytes>`/.exec(BLOBS);
    expect(chunk).not.toBeNull();
    expect(Number(chunk![2])).toBe(blob.byteLength);
    expect(hex(frame(blob))).toBe(chunk![1] + hex(blob));
    const varints = [...BLOBS.matchAll(/([\d ]+) → `([0-9a-f ]+)`/g)].map((m) => [Number(m[1]!.replace(/ /g, '')), m[2]!.replace(/ /g, '')]);
    expect(varints.length).toBeGreaterThan(0);
    for (const [value, bytes] of varints) expect(hex(encodeVarint(value as number))).toBe(bytes);
  });
});
