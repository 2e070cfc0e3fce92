import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointCorruptionError, StoreError, type Checkpoint } from '../../node/store/index.ts';
import { bytes, fakeHash, useTempStore } from './helpers.ts';

const t = useTempStore();

function checkpoint(round: number, head: string, extra?: Record<string, unknown>): Checkpoint {
  return { task: 'test-task', taskHash: fakeHash('manifest'), round, head, updatedAt: 1_700_000_000_000 + round, ...(extra ? { extra } : {}) };
}

describe('checkpoint', () => {
  it('is undefined for a fresh folder', async () => {
    const { checkpoint: store } = await t.open();
    expect(await store.load()).toBeUndefined();
    expect(await store.verify()).toEqual({ checkpoint: undefined, problems: [], ok: true });
  });

  it('saves and loads, keeping the previous checkpoint', async () => {
    const { checkpoint: store, dir } = await t.open();
    const first = checkpoint(1, fakeHash('v1'), { engine: { phase: 'training', peers: ['a', 'b'] } });
    const second = checkpoint(2, fakeHash('v2'));
    await store.save(first);
    expect(await store.load()).toEqual(first);
    await store.save(second);
    expect(await store.load()).toEqual(second);
    expect(JSON.parse(await readFile(join(dir, 'checkpoint.prev.json'), 'utf8'))).toEqual(first);
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('serialises concurrent saves: the last one wins and the previous is the one before it', async () => {
    const { checkpoint: store } = await t.open();
    await Promise.all([1, 2, 3, 4].map((round) => store.save(checkpoint(round, fakeHash(`v${round}`)))));
    expect((await store.load())?.round).toBe(4);
    expect(JSON.parse(await readFile(store.previousPath, 'utf8')).round).toBe(3);
  });

  it('refuses an invalid checkpoint or one of another task', async () => {
    const { checkpoint: store } = await t.open();
    await expect(store.save({ ...checkpoint(1, fakeHash('v1')), task: 'other-task' })).rejects.toThrow(/task must be "test-task"/);
    await expect(store.save(checkpoint(1, '../../etc/passwd'))).rejects.toThrow(/head must be 64 lowercase hex/);
    await expect(store.save(checkpoint(1, fakeHash('v1'), { bad: Number.NaN }))).rejects.toThrow(/extra\.bad is not plain JSON/);
    await expect(store.save(checkpoint(1, fakeHash('v1'), { when: new Date() }))).rejects.toBeInstanceOf(StoreError);
    expect(await store.load()).toBeUndefined();
  });

  it('falls back to the previous checkpoint when the current one was truncated by a crash', async () => {
    const first = await t.open();
    await first.checkpoint.save(checkpoint(4, fakeHash('v4')));
    await first.checkpoint.save(checkpoint(5, fakeHash('v5')));
    await first.close();
    // A crash mid-write: a truncated current file and a leftover temp file.
    const current = join(first.dir, 'checkpoint.json');
    const text = await readFile(current, 'utf8');
    await writeFile(current, text.slice(0, text.length / 2));
    const leftover = join(first.dir, `.checkpoint.json.12345.abcdef.tmp`);
    await writeFile(leftover, '{"task":');

    const reopened = await t.open();
    expect(reopened.removedTempFiles).toBe(1);
    expect(await readdir(reopened.dir)).not.toContain('.checkpoint.json.12345.abcdef.tmp');
    const loaded = await reopened.checkpoint.load();
    expect(loaded?.round).toBe(4);
    expect(t.warnings.join('\n')).toMatch(/checkpoint\.json is not valid JSON.*using the previous checkpoint/s);
    expect(await readdir(join(reopened.dir, 'corrupt'))).toHaveLength(1);

    // The next save does not make the corrupt file the previous one.
    await reopened.checkpoint.save(checkpoint(5, fakeHash('v5b')));
    expect((await reopened.checkpoint.load())?.head).toBe(fakeHash('v5b'));
    expect(JSON.parse(await readFile(join(reopened.dir, 'checkpoint.prev.json'), 'utf8')).round).toBe(4);
  });

  it('falls back when the current file is valid JSON but not a checkpoint', async () => {
    const { checkpoint: store } = await t.open();
    await store.save(checkpoint(1, fakeHash('v1')));
    await store.save(checkpoint(2, fakeHash('v2')));
    await writeFile(store.path, JSON.stringify({ task: 'test-task', round: 'two' }));
    expect((await store.load())?.round).toBe(1);
    expect(t.warnings.join('\n')).toMatch(/round must be a non-negative integer/);
  });

  it('throws a clear error when both checkpoints are corrupt', async () => {
    const { checkpoint: store } = await t.open();
    await store.save(checkpoint(1, fakeHash('v1')));
    await store.save(checkpoint(2, fakeHash('v2')));
    await writeFile(store.path, '');
    await writeFile(store.previousPath, '{');
    const error = await store.load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointCorruptionError);
    expect((error as Error).message).toContain(store.path);
    expect((error as Error).message).toContain(store.previousPath);
    expect((error as Error).message).toMatch(/Restore the task folder from a backup/);
  });

  it('throws rather than starting afresh when the only checkpoint is corrupt', async () => {
    const { checkpoint: store } = await t.open();
    await store.save(checkpoint(1, fakeHash('v1')));
    await writeFile(store.path, 'garbage');
    await expect(store.load()).rejects.toBeInstanceOf(CheckpointCorruptionError);
  });

  it('verify reports a head missing from the blob store, or without a matching version record', async () => {
    const { checkpoint: store, blobs, versions } = await t.open();
    const missing = fakeHash('not stored');
    await store.save(checkpoint(3, missing));
    const report = await store.verify();
    expect(report.ok).toBe(false);
    expect(report.problems.join('\n')).toMatch(new RegExp(`head ${missing} \\(round 3\\) is missing from the blob store`));

    const head = await blobs.put(bytes('weights of round 3'));
    await store.save(checkpoint(3, head));
    expect((await store.verify()).problems).toEqual([`the checkpoint's head ${head} has no version record`]);
    await versions.record({ round: 2, hash: head, parent: fakeHash('v1'), contributors: [], merged: [fakeHash('m')], createdAt: 1 });
    expect((await store.verify()).problems).toEqual([`the checkpoint says round 3 but the version record of ${head} says round 2`]);
  });

  it('verify passes for a stored, recorded head, and deep verify catches corrupt bytes', async () => {
    const { checkpoint: store, blobs, versions } = await t.open();
    const head = await blobs.put(bytes('weights'));
    await versions.record({ round: 0, hash: head, parent: '', contributors: [], merged: [], createdAt: 1 });
    await store.save(checkpoint(0, head));
    expect(await store.verify({ deep: true })).toMatchObject({ ok: true, problems: [] });
    await writeFile(blobs.pathOf(head), 'WEIGHTS');
    expect((await store.verify()).ok).toBe(true); // shallow: the file exists
    const deep = await store.verify({ deep: true });
    expect(deep.ok).toBe(false);
    expect(deep.problems.join('\n')).toMatch(/is corrupt/);
  });
});
