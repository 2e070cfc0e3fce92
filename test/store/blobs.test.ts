import { createHash } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidHashError, StoreCorruptionError } from '../../node/store/index.ts';
import { bytes, useTempStore } from './helpers.ts';

const t = useTempStore();

describe('blob store', () => {
  it('round-trips bytes under their sha256, sharded by the first two hex characters', async () => {
    const { blobs, dir } = await t.open();
    const data = bytes('hello weights');
    const hash = await blobs.put(data);
    expect(hash).toBe(createHash('sha256').update(data).digest('hex'));
    const path = join(dir, 'blobs', hash.slice(0, 2), hash);
    expect(blobs.pathOf(hash)).toBe(path);
    expect(new Uint8Array(await readFile(path))).toEqual(data);
    expect(await blobs.get(hash)).toEqual(data);
    expect(await blobs.has(hash)).toBe(true);
    expect(await blobs.size(hash)).toBe(data.byteLength);
    expect(await blobs.list()).toEqual([hash]);
  });

  it('reports absent blobs as undefined/false', async () => {
    const { blobs } = await t.open();
    const absent = 'a'.repeat(64);
    expect(await blobs.get(absent)).toBeUndefined();
    expect(await blobs.has(absent)).toBe(false);
    expect(await blobs.size(absent)).toBeUndefined();
    expect(await blobs.delete(absent)).toBe(false);
  });

  it('does not rewrite a blob that is already stored', async () => {
    const { blobs } = await t.open();
    const hash = await blobs.put(bytes('same'));
    const before = await stat(blobs.pathOf(hash));
    expect(await blobs.put(bytes('same'))).toBe(hash);
    const after = await stat(blobs.pathOf(hash));
    expect(after.ino).toBe(before.ino); // a rewrite would rename a new file (new inode) into place
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(await readdir(join(blobs.dir, hash.slice(0, 2)))).toEqual([hash]);
  });

  it('replaces a stored blob of the wrong size on put, keeping the bad file aside', async () => {
    const { blobs, dir } = await t.open();
    const hash = await blobs.put(bytes('twelve bytes'));
    await writeFile(blobs.pathOf(hash), 'short');
    expect(await blobs.put(bytes('twelve bytes'))).toBe(hash);
    expect(await blobs.get(hash)).toEqual(bytes('twelve bytes'));
    expect(await readdir(join(dir, 'corrupt'))).toHaveLength(1);
    expect(t.warnings.join('\n')).toMatch(/had 5 bytes instead of 12/);
  });

  it('verifies the hash on read: a corrupt blob is reported, moved aside to corrupt/, never served', async () => {
    const { blobs, dir } = await t.open();
    const hash = await blobs.put(bytes('original'));
    const path = blobs.pathOf(hash);
    await writeFile(path, 'tampered'); // same length, different bytes
    const error = await blobs.get(hash).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreCorruptionError);
    const corruption = error as StoreCorruptionError;
    expect(corruption.path).toBe(path);
    expect(corruption.message).toContain(path);
    expect(corruption.movedTo).toMatch(new RegExp(`corrupt/${hash}\\.`));
    const aside = await readdir(join(dir, 'corrupt'));
    expect(aside).toHaveLength(1);
    expect(await readFile(join(dir, 'corrupt', aside[0] ?? ''), 'utf8')).toBe('tampered');
    // Gone from the store: the next read says "not stored", and a fresh put restores it.
    expect(await blobs.has(hash)).toBe(false);
    expect(await blobs.get(hash)).toBeUndefined();
    await blobs.put(bytes('original'));
    expect(await blobs.get(hash)).toEqual(bytes('original'));
  });

  it('rejects strings that are not 64 lowercase hex characters', async () => {
    const { blobs } = await t.open();
    const bad = ['../../etc/passwd', '', 'A'.repeat(64), 'a'.repeat(63), 'a'.repeat(65), `${'a'.repeat(62)}/x`, `../${'a'.repeat(61)}`];
    for (const hash of bad) {
      await expect(blobs.get(hash)).rejects.toBeInstanceOf(InvalidHashError);
      await expect(blobs.has(hash)).rejects.toBeInstanceOf(InvalidHashError);
      await expect(blobs.size(hash)).rejects.toBeInstanceOf(InvalidHashError);
      await expect(blobs.delete(hash)).rejects.toBeInstanceOf(InvalidHashError);
      expect(() => blobs.pathOf(hash)).toThrow(InvalidHashError);
    }
    await expect(blobs.get('../../etc/passwd')).rejects.toThrow(/64 lowercase hex/);
    await expect(blobs.prune(new Set(['../x']))).rejects.toBeInstanceOf(InvalidHashError);
  });

  it('prune keeps exactly the kept set and removes empty shard folders', async () => {
    const { blobs } = await t.open();
    const hashes: string[] = [];
    for (let i = 0; i < 12; i += 1) hashes.push(await blobs.put(bytes(`blob ${i}`)));
    const keep = new Set(hashes.filter((_, i) => i % 3 === 0));
    const result = await blobs.prune(keep);
    expect(result.kept).toBe(keep.size);
    expect(result.removed).toEqual(hashes.filter((h) => !keep.has(h)).sort());
    expect(await blobs.list()).toEqual([...keep].sort());
    const shards = await readdir(blobs.dir);
    expect(shards.sort()).toEqual([...new Set([...keep].map((h) => h.slice(0, 2)))].sort());
    expect((await blobs.prune(keep)).removed).toEqual([]);
  });

  it('delete removes one blob', async () => {
    const { blobs } = await t.open();
    const a = await blobs.put(bytes('a'));
    const b = await blobs.put(bytes('b'));
    expect(await blobs.delete(a)).toBe(true);
    expect(await blobs.list()).toEqual([b]);
  });
});
