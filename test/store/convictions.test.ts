import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempStore } from './helpers.ts';

const t = useTempStore();

describe('convictions', () => {
  it('start empty, are kept once per peer, and survive reopening the store', async () => {
    const store = await t.open();
    expect(await store.convictions.load()).toEqual([]);
    await Promise.all([
      store.convictions.add({ peer: 'peer-a', reason: 'its version v1 recomputes to v2, not to itself', at: 1 }),
      store.convictions.add({ peer: 'peer-b', reason: 'it accused version v3, which recomputes exactly', at: 2 }),
      store.convictions.add({ peer: 'peer-a', reason: 'again', at: 3 }),
    ]);
    await store.close();
    const reopened = await t.open();
    expect(await reopened.convictions.load()).toEqual([
      { peer: 'peer-a', reason: 'its version v1 recomputes to v2, not to itself', at: 1 },
      { peer: 'peer-b', reason: 'it accused version v3, which recomputes exactly', at: 2 },
    ]);
    expect((await readdir(reopened.dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(JSON.parse(await readFile(join(reopened.dir, 'convictions.json'), 'utf8')).version).toBe(1);
  });

  it('moves an unreadable file aside with a warning and starts with none', async () => {
    const store = await t.open();
    await writeFile(join(store.dir, 'convictions.json'), '{"version": 1, "convicted": [{"peer": 7}]}');
    expect(await store.convictions.load()).toEqual([]);
    expect(t.warnings.join('\n')).toMatch(/convictions\.json is not a list of convictions \(convicted\[0\] must be \{peer, reason, at\}\); moved aside/);
    expect((await readdir(join(store.dir, 'corrupt'))).some((name) => name.startsWith('convictions.json'))).toBe(true);
    await store.convictions.add({ peer: 'peer-c', reason: 'r', at: 4 });
    expect(await store.convictions.load()).toEqual([{ peer: 'peer-c', reason: 'r', at: 4 }]);
  });
});
