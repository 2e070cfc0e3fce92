import { describe, expect, it } from 'vitest';
import { BlobPool, MemoryStore } from '../../sim/peer/memory-store.ts';

describe('in-memory peer store', () => {
  it('keeps one copy of a blob for all its holders and frees it when the last lets go', async () => {
    const pool = new BlobPool();
    const [a, b] = [new MemoryStore(pool, 'task-x', 'a'), new MemoryStore(pool, 'task-x', 'b')];
    const bytes = Uint8Array.from([1, 2, 3, 4]);
    const hash = await a.blobs.put(bytes);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await b.blobs.get(hash)).toBeUndefined();
    expect(await b.blobs.put(Uint8Array.from([1, 2, 3, 4]))).toBe(hash);
    expect(pool.size).toEqual({ blobs: 1, bytes: 4 });
    a.prune(new Set());
    expect(await a.blobs.get(hash)).toBeUndefined();
    expect(await b.blobs.get(hash)).toEqual(bytes);
    b.prune(new Set([hash]));
    expect(pool.size.blobs).toBe(1);
    b.wipe();
    expect(pool.size).toEqual({ blobs: 0, bytes: 0 });
  });

  it('verifies its checkpoint like the on-disk store: head held and recorded', async () => {
    const store = new MemoryStore(new BlobPool(), 'task-x', 'a');
    expect((await store.checkpoint.verify()).ok).toBe(true);
    const head = await store.blobs.put(Uint8Array.from([9]));
    await store.checkpoint.save({ task: 'task-x', taskHash: '0'.repeat(64), round: 3, head, updatedAt: 0 });
    expect((await store.checkpoint.verify()).problems).toEqual([`the checkpoint's head ${head} has no version record`]);
    await store.versions.record({ round: 3, hash: head, parent: 'ab'.repeat(32), contributors: [], merged: [], createdAt: 0 });
    expect(await store.checkpoint.verify()).toMatchObject({ ok: true, checkpoint: { round: 3 } });
  });
});
