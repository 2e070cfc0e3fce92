import { privateKeyToProtobuf } from '@libp2p/crypto/keys';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IdentityError, loadOrCreateIdentity } from '../../node/host/identity.ts';

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'gossipfl-identity-'));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('loadOrCreateIdentity', () => {
  it('creates an Ed25519 key file with mode 0600, in a new folder, and reuses it on the next start', async () => {
    const path = join(folder, 'nested', 'peer', 'identity.key');
    const first = await loadOrCreateIdentity(path);
    expect(first.created).toBe(true);
    expect(first.tooPermissive).toBe(false);
    expect(first.privateKey.type).toBe('Ed25519');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(new Uint8Array(await readFile(path))).toEqual(privateKeyToProtobuf(first.privateKey));
    // no temporary file is left beside it
    expect(await readdir(join(folder, 'nested', 'peer'))).toEqual(['identity.key']);

    const second = await loadOrCreateIdentity(path);
    expect(second.created).toBe(false);
    expect(second.warning).toBeUndefined();
    expect(second.peerId.toString()).toBe(first.peerId.toString());
    expect(second.privateKey.equals(first.privateKey)).toBe(true);
  });

  it('gives two processes racing to create the same file one identity', async () => {
    const path = join(folder, 'identity.key');
    const results = await Promise.all([1, 2, 3, 4].map(() => loadOrCreateIdentity(path)));
    const ids = new Set(results.map((result) => result.peerId.toString()));
    expect(ids.size).toBe(1);
    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect(await readdir(folder)).toEqual(['identity.key']);
  });

  it('raises IdentityError on a corrupt file and leaves it untouched', async () => {
    const path = join(folder, 'identity.key');
    const garbage = new TextEncoder().encode('this is not a protobuf private key\n');
    await writeFile(path, garbage, { mode: 0o600 });
    const before = await stat(path);

    const failure = await loadOrCreateIdentity(path).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(IdentityError);
    expect((failure as IdentityError).name).toBe('IdentityError');
    expect((failure as Error).message).toContain(path);
    expect((failure as Error).message).toMatch(/not a valid libp2p private key.*left untouched.*backup/s);

    expect(new Uint8Array(await readFile(path))).toEqual(garbage);
    expect((await stat(path)).mtimeMs).toBe(before.mtimeMs);
  });

  it('raises IdentityError on an empty file, and on a folder where the file should be', async () => {
    const empty = join(folder, 'empty.key');
    await writeFile(empty, new Uint8Array(0));
    await expect(loadOrCreateIdentity(empty)).rejects.toThrow(/empty/);
    expect((await stat(empty)).size).toBe(0);

    const directory = join(folder, 'dir.key');
    await mkdir(directory);
    await expect(loadOrCreateIdentity(directory)).rejects.toBeInstanceOf(IdentityError);
  });

  it('flags a key file readable by others, and still uses it', async () => {
    const path = join(folder, 'identity.key');
    const created = await loadOrCreateIdentity(path);
    await chmod(path, 0o644);
    const loaded = await loadOrCreateIdentity(path);
    expect(loaded.tooPermissive).toBe(true);
    expect(loaded.warning).toMatch(/mode 0644.*chmod 600/);
    expect(loaded.peerId.toString()).toBe(created.peerId.toString());
    expect((await stat(path)).mode & 0o777).toBe(0o644); // reported, not changed behind the user's back
  });
});
