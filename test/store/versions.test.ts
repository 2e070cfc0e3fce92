import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StoreConflictError, StoreCorruptionError, StoreError, type VersionRecord, type VersionStore } from '../../node/store/index.ts';
import { fakeHash, useTempStore } from './helpers.ts';

const t = useTempStore();

function version(round: number, hash: string, parent: string, extra: Partial<VersionRecord> = {}): VersionRecord {
  return {
    round,
    hash,
    parent,
    contributors: round === 0 ? [] : [{ peer: `12D3KooPeer${round}`, delta: fakeHash(`delta${round}`), samples: 100 + round }],
    merged: [],
    createdAt: 1_700_000_000_000 + round,
    ...extra,
  };
}

/** Records a chain of `length` versions, rounds 0..length-1; returns their hashes (round order). */
async function chain(versions: VersionStore, length: number): Promise<string[]> {
  const hashes = Array.from({ length }, (_, i) => fakeHash(`version${i}`));
  for (let i = 0; i < length; i += 1) {
    await versions.record(version(i, hashes[i] ?? '', i === 0 ? '' : (hashes[i - 1] ?? '')));
  }
  return hashes;
}

describe('version records', () => {
  it('stores one JSON file per version and reads it back', async () => {
    const { versions, dir } = await t.open();
    const v = version(3, fakeHash('v3'), fakeHash('v2'), { metrics: { accuracy: 0.9, loss: 0.3 }, curator: '12D3KooCurator' });
    expect((await versions.record(v)).created).toBe(true);
    expect(await readdir(join(dir, 'versions'))).toEqual([`${v.hash}.json`]);
    expect(JSON.parse(await readFile(join(dir, 'versions', `${v.hash}.json`), 'utf8'))).toEqual(v);
    expect(await versions.get(v.hash)).toEqual(v);
    expect(await versions.has(v.hash)).toBe(true);
    expect(await versions.get(fakeHash('other'))).toBeUndefined();
    expect(await versions.list()).toEqual([v.hash]);
  });

  it('keeps the existing record for the same version and refuses a conflicting one', async () => {
    const { versions } = await t.open();
    const v = version(1, fakeHash('v1'), fakeHash('v0'));
    await versions.record(v);
    const again = await versions.record({ ...v, createdAt: v.createdAt + 5000 });
    expect(again.created).toBe(false);
    expect(again.record.createdAt).toBe(v.createdAt);
    await expect(versions.record({ ...v, parent: fakeHash('elsewhere') })).rejects.toBeInstanceOf(StoreConflictError);
    expect((await versions.get(v.hash))?.parent).toBe(v.parent);
  });

  it('rejects invalid records with every problem named', async () => {
    const { versions } = await t.open();
    const bad = { ...version(2, fakeHash('v2'), '../x'), round: -1, merged: ['nope'] };
    const error = await versions.record(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toMatch(/round must be a non-negative integer/);
    expect((error as Error).message).toMatch(/parent must be 64 lowercase hex/);
    expect((error as Error).message).toMatch(/merged\[0\]/);
    expect(await versions.list()).toEqual([]);
  });

  it('reports a corrupt record clearly and moves it aside', async () => {
    const { versions, dir } = await t.open();
    const v = version(1, fakeHash('v1'), fakeHash('v0'));
    await versions.record(v);
    const path = versions.pathOf(v.hash);
    await writeFile(path, '{"round": 1, "hash": "');
    await expect(versions.get(v.hash)).rejects.toThrow(StoreCorruptionError);
    expect(await readdir(join(dir, 'corrupt'))).toHaveLength(1);
    expect(await versions.get(v.hash)).toBeUndefined();

    await versions.record(v);
    await writeFile(path, JSON.stringify({ ...v, contributors: [{ peer: 'p', delta: 'x', samples: -1 }] }));
    const error = await versions.get(v.hash).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreCorruptionError);
    expect((error as StoreCorruptionError).path).toBe(path);
    expect((error as Error).message).toMatch(/contributors\[0\]\.delta/);
    expect((error as Error).message).toMatch(/contributors\[0\]\.samples/);
  });

  it('detects a record stored under another hash', async () => {
    const { versions } = await t.open();
    const v = version(1, fakeHash('v1'), fakeHash('v0'));
    await writeFile(versions.pathOf(fakeHash('elsewhere')), JSON.stringify(v));
    await expect(versions.get(fakeHash('elsewhere'))).rejects.toThrow(/not the file name/);
  });
});

describe('history', () => {
  it('walks a chain of 5 versions from the head back to round 0', async () => {
    const { versions } = await t.open();
    const hashes = await chain(versions, 5);
    const history = await versions.history(hashes[4] ?? '');
    expect(history.complete).toBe(true);
    expect(history.end).toEqual({ kind: 'genesis' });
    expect(history.versions.map((v) => v.round)).toEqual([4, 3, 2, 1, 0]);
    expect(history.versions.map((v) => v.hash)).toEqual([...hashes].reverse());
  });

  it('stops at the limit', async () => {
    const { versions } = await t.open();
    const hashes = await chain(versions, 5);
    const history = await versions.history(hashes[4] ?? '', 2);
    expect(history.versions.map((v) => v.round)).toEqual([4, 3]);
    expect(history.end).toEqual({ kind: 'limit' });
    expect(history.complete).toBe(false);
  });

  it('reports where the chain stops: a missing record with no earlier one held, or an unknown head', async () => {
    const { versions } = await t.open();
    const hashes = await chain(versions, 5);
    await versions.delete(hashes[1] ?? '');
    await versions.delete(hashes[0] ?? '');
    const history = await versions.history(hashes[4] ?? '');
    expect(history.complete).toBe(false);
    expect(history.reachesGenesis).toBe(false);
    expect(history.versions.map((v) => v.round)).toEqual([4, 3, 2]);
    expect(history.end).toEqual({ kind: 'missing', hash: hashes[1], neededBy: hashes[2] });

    const unknown = fakeHash('unknown head');
    expect((await versions.history(unknown)).end).toEqual({ kind: 'missing', hash: unknown, neededBy: undefined });
  });

  it('goes on past rounds this peer never adopted, noting the gap, and lists versions held off the chain', async () => {
    // A peer that was down for rounds 3–5 caught up at round 6: it holds records for 0–2 and 6–8.
    const { versions } = await t.open();
    const hashes = await chain(versions, 9);
    for (const round of [3, 4, 5]) await versions.delete(hashes[round] ?? '');
    const abandoned = fakeHash('abandoned sibling');
    await versions.record(version(7, abandoned, hashes[6] ?? ''));
    const history = await versions.history(hashes[8] ?? '');
    expect(history.versions.map((v) => v.round)).toEqual([8, 7, 6, 2, 1, 0]);
    expect(history.gaps).toEqual([{ child: hashes[6], missing: hashes[5], resumesAt: hashes[2], fromRound: 3, toRound: 5 }]);
    expect(history.end).toEqual({ kind: 'genesis' });
    expect(history.reachesGenesis).toBe(true);
    expect(history.complete).toBe(false);
    expect(history.offChain.map((v) => v.hash)).toEqual([abandoned]);
  });

  it('detects a cycle in the parent links', async () => {
    const { versions } = await t.open();
    const [a, b, c] = [fakeHash('a'), fakeHash('b'), fakeHash('c')];
    // Merge versions may share a round with their parent: the only guard left is the cycle check.
    await versions.record(version(2, a, c, { merged: [c] }));
    await versions.record(version(2, b, a, { merged: [a] }));
    await versions.record(version(2, c, b, { merged: [b] }));
    const history = await versions.history(c);
    expect(history.end).toEqual({ kind: 'cycle', hash: c });
    expect(history.complete).toBe(false);
    expect(history.versions.map((v) => v.hash)).toEqual([c, b, a]);
  });

  it('reports a parent whose round cannot precede its child', async () => {
    const { versions } = await t.open();
    const [a, b] = [fakeHash('a'), fakeHash('b')];
    await versions.record(version(3, a, b));
    await versions.record(version(5, b, a));
    const history = await versions.history(a);
    expect(history.end).toMatchObject({ kind: 'inconsistent', hash: b, child: a });
    expect(history.versions.map((v) => v.hash)).toEqual([a]);
  });
});
