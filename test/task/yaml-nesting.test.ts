/**
 * Deeply nested flow collections took the YAML parser into a regular expression V8 could not
 * compile: the second 2 kB `[[[…]]]` text in one process ended it ("FATAL ERROR: RegExpCompiler
 * Allocation failed", exit 134). Found by the fuzz harness (test/fuzz/task.test.ts). Such text is
 * now refused before parsing, with a message that says why.
 */
import { describe, expect, it } from 'vitest';
import { MAX_FLOW_NESTING, parseText } from '../../node/task/fields.ts';
import { parseTaskManifest } from '../../node/task/manifest.ts';
import { verifySignedTask } from '../../node/task/signing.ts';

const deep = (n: number, open = '[', close = ']') => open.repeat(n) + close.repeat(n);

describe('deeply nested YAML', () => {
  it('is refused before parsing, however often it comes, and the process lives on', async () => {
    for (let i = 0; i < 5; i++) {
      expect(parseText(deep(1000), 'task')).toEqual({ problems: [`line 1: the task nests [ ] / { } collections 1000 deep; at most ${MAX_FLOW_NESTING} are read`] });
      expect(() => parseTaskManifest(`version: 1\nid: x\nmodel: ${deep(500, '{a: ', '}')}`, 'task.yaml')).toThrow(/nests \[ \] \/ \{ \} collections 500 deep/);
      await expect(verifySignedTask(deep(1000), 'received.yaml')).rejects.toMatchObject({ name: 'TaskSignatureError' });
    }
  });

  it('reads nesting up to the limit, and does not count brackets in quotes or comments', () => {
    expect(parseText(deep(MAX_FLOW_NESTING), 'task')).toHaveProperty('value');
    expect(parseText(`a: "${'['.repeat(200)}"\nb: '${'{'.repeat(200)}' # ${'['.repeat(200)}\n`, 'task')).toEqual({ value: { a: '['.repeat(200), b: '{'.repeat(200) } });
  });
});
