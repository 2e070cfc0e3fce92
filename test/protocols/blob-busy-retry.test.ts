/**
 * fetchFromHolders asking a busy holder again (busyRetryMs): when many peers pull a new version
 * from its one holder at once, those turned away busy get it once a serving slot frees up.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BlobUnavailableError, fetchBlob, fetchFromHolders, serveBlobs } from '../../protocols/blob/index.ts';
import { deadline, hostPool } from '../host/helpers.ts';

const pool = hostPool();
const MiB = 1024 * 1024;
const blob = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31) & 0xff);
const hash = createHash('sha256').update(blob).digest('hex');

/** A server serving `blob` one request at a time, the first held until `release` is called; and a connected client. */
async function oneSlotServer() {
  const server = await pool.start();
  const client = await pool.start();
  await client.dial(server.getMultiaddrs(), { signal: deadline() });
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let entered!: () => void;
  const first = new Promise<void>((resolve) => (entered = resolve));
  await serveBlobs(
    server,
    async () => {
      entered();
      await released;
      return blob;
    },
    { maxBytes: MiB, maxConcurrentStreams: 1 },
  );
  const holding = fetchBlob(client, server.peerId, hash, { maxBytes: MiB, signal: deadline() });
  await first;
  return { server, client, release, holding };
}

describe('fetchFromHolders and busy holders', () => {
  it('asks a busy holder again until it serves', async () => {
    const { server, client, release, holding } = await oneSlotServer();
    const failures: string[] = [];
    const { promise: turnedAway, resolve: onTurnedAway } = Promise.withResolvers<void>();
    const second = fetchFromHolders(client, [server.peerId], hash, {
      maxBytes: MiB,
      signal: deadline(),
      busyRetryMs: 20,
      onFailure: (_peer, error) => {
        failures.push(error.name);
        onTurnedAway();
      },
    });
    // Free the slot only once the second pull has been turned away at least once.
    await turnedAway;
    release();
    await holding;
    expect(await second).toEqual(blob);
    expect(failures.length).toBeGreaterThan(0);
    expect(new Set(failures)).toEqual(new Set(['BlobBusyError']));
  });

  it('gives up at once on a busy holder without busyRetryMs, and when the signal aborts', async () => {
    const { server, client, release, holding } = await oneSlotServer();
    await expect(fetchFromHolders(client, [server.peerId], hash, { maxBytes: MiB, signal: deadline() })).rejects.toBeInstanceOf(BlobUnavailableError);
    const started = Date.now();
    const error = await fetchFromHolders(client, [server.peerId], hash, { maxBytes: MiB, signal: AbortSignal.timeout(150), busyRetryMs: 20 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlobUnavailableError);
    expect((error as BlobUnavailableError).attempts.length).toBeGreaterThan(1);
    expect(Date.now() - started).toBeLessThan(5_000);
    release();
    await holding;
  });
});
