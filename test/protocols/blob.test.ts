import { createHash } from 'node:crypto';
import type { Stream } from '@libp2p/interface';
import { describe, expect, it } from 'vitest';
import type { Host } from '../../node/host/host.ts';
import { Rng } from '../../node/learn/rng.ts';
import {
  BlobAbortedError,
  BlobBusyError,
  BlobFetchError,
  BlobHashMismatchError,
  BlobNotFoundError,
  BlobProtocolError,
  BlobTooLargeError,
  BlobUnavailableError,
  blobPort,
  fetchBlob,
  fetchFromHolders,
  serveBlobs,
  type BlobError,
  type BlobServer,
} from '../../protocols/blob/index.ts';
import {
  BLOB_PROTOCOL,
  decodeResponseHeader,
  encodeResponseHeader,
  encodeVarint,
  frame,
  FrameDecoder,
  type ResponseHeader,
} from '../../protocols/blob/wire.ts';
import { deadline, hostPool } from '../host/helpers.ts';

const pool = hostPool();
const MiB = 1024 * 1024;

function randomBytes(seed: number, length: number): Uint8Array {
  const rng = new Rng(seed);
  const bytes = new Uint8Array(length);
  const words = new Uint32Array(bytes.buffer, 0, Math.floor(length / 4));
  for (let i = 0; i < words.length; i++) words[i] = rng.nextUint32();
  for (let i = words.length * 4; i < length; i++) bytes[i] = rng.nextUint32() & 0xff;
  return bytes;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A store of blobs by hash. */
function store(...blobs: Uint8Array[]): (hash: string) => Promise<Uint8Array | undefined> {
  const byHash = new Map(blobs.map((blob) => [sha256(blob), blob]));
  return async (hash) => byHash.get(hash);
}

/** A server host and a connected client host. */
async function pair(): Promise<{ server: Host; client: Host }> {
  const server = await pool.start();
  const client = await pool.start();
  await client.dial(server.getMultiaddrs(), { signal: deadline() });
  return { server, client };
}

/** Waits for the requester's request (it half-closes after it), then lets `respond` misbehave. */
async function evilServer(host: Host, respond: (stream: Stream) => Promise<void>): Promise<Stream[]> {
  const streams: Stream[] = [];
  await host.handle(BLOB_PROTOCOL, async (stream) => {
    streams.push(stream);
    try {
      for await (const _ of stream) {
        // drain the request
      }
      await respond(stream);
    } catch (error) {
      stream.abort(error instanceof Error ? error : new Error(String(error)));
    }
  });
  return streams;
}

/** Promise.withResolvers, which the ES2023 lib does not type. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

function sendAll(stream: Stream, ...pieces: Uint8Array[]): void {
  for (const piece of pieces) stream.send(piece);
}

function chunkFrame(bytes: Uint8Array): Uint8Array {
  return frame(bytes);
}

/** Sends raw bytes on a blob stream, half-closes, returns the response header (or undefined if none). */
async function rawRequest(client: Host, server: Host, bytes: Uint8Array): Promise<{ header: ResponseHeader | undefined; stream: Stream }> {
  const stream = await client.dialProtocol(server.peerId, BLOB_PROTOCOL, { signal: deadline() });
  stream.send(bytes);
  await stream.close();
  const frames: number[][] = [];
  const decoder = new FrameDecoder({ start: () => frames.push([]), data: (piece) => frames.at(-1)?.push(...piece), end: () => {} });
  try {
    for await (const piece of stream) decoder.feed(piece instanceof Uint8Array ? piece : piece.subarray());
  } catch {
    // a reset is an acceptable answer to garbage
  }
  const first = frames[0];
  return { header: first === undefined ? undefined : decodeResponseHeader(Uint8Array.from(first)), stream };
}

async function failure(promise: Promise<unknown>): Promise<BlobError> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: BlobError) => error,
  );
}

function blobStreams(host: Host): Stream[] {
  return host.getConnections().flatMap((connection) => connection.streams.filter((stream) => stream.protocol === BLOB_PROTOCOL));
}

async function untilClosed(stream: Stream): Promise<void> {
  if (stream.status !== 'open' && stream.status !== 'closing') return;
  const signal = deadline(5_000);
  await new Promise<void>((resolve, reject) => {
    stream.addEventListener('close', () => resolve(), { once: true });
    signal.addEventListener('abort', () => reject(new Error(`stream still ${stream.status}`)), { once: true });
  });
}

describe('blob protocol', () => {
  it('round-trips small, empty and chunk-boundary blobs with matching hashes', async () => {
    const { server, client } = await pair();
    const blobs = [randomBytes(1, 1000), new Uint8Array(0), randomBytes(2, MiB), randomBytes(3, MiB + 1), randomBytes(4, 3 * MiB - 7)];
    await serveBlobs(server, store(...blobs), { maxBytes: 100 * MiB });
    for (const blob of blobs) {
      const started = performance.now();
      const fetched = await fetchBlob(client, server.peerId, sha256(blob), { maxBytes: 10 * MiB, signal: deadline() });
      if (blob.byteLength === MiB) console.log(`blob: 1 MiB fetched in ${(performance.now() - started).toFixed(1)} ms`);
      expect(fetched.byteLength).toBe(blob.byteLength);
      expect(sha256(fetched)).toBe(sha256(blob));
      expect(Buffer.from(fetched).equals(blob)).toBe(true);
    }
    // A second 1 MiB fetch, with the connection warm.
    const started = performance.now();
    await fetchBlob(client, server.peerId.toString(), sha256(blobs[2] ?? new Uint8Array()), { maxBytes: MiB });
    console.log(`blob: 1 MiB fetched (warm) in ${(performance.now() - started).toFixed(1)} ms`);
    expect(blobStreams(client)).toHaveLength(0);
  });

  it('round-trips a 64 MiB blob', async () => {
    const { server, client } = await pair();
    const blob = randomBytes(64, 64 * MiB);
    const hash = sha256(blob);
    await serveBlobs(server, store(blob), { maxBytes: 128 * MiB });
    const times: number[] = [];
    for (let run = 0; run < 3; run++) {
      const started = performance.now();
      const fetched = await fetchBlob(client, server.peerId, hash, { maxBytes: 64 * MiB, signal: deadline(30_000) });
      times.push(performance.now() - started);
      expect(fetched.byteLength).toBe(64 * MiB);
      expect(sha256(fetched)).toBe(hash);
    }
    console.log(`blob: 64 MiB fetched in ${times.map((ms) => ms.toFixed(0)).join(', ')} ms (3 runs)`);
  });

  it('reports a blob the holder does not have as not found', async () => {
    const { server, client } = await pair();
    await serveBlobs(server, store(), { maxBytes: MiB });
    const error = await failure(fetchBlob(client, server.peerId, 'cd'.repeat(32), { maxBytes: MiB, signal: deadline() }));
    expect(error).toBeInstanceOf(BlobNotFoundError);
    expect(error.peer).toBe(server.peerId.toString());
  });

  it("refuses a blob above the requester's maxBytes, and above the holder's own limit", async () => {
    const { server, client } = await pair();
    const blob = randomBytes(5, 2 * MiB);
    await serveBlobs(server, store(blob), { maxBytes: 3 * MiB });
    const error = await failure(fetchBlob(client, server.peerId, sha256(blob), { maxBytes: MiB, signal: deadline() }));
    expect(error).toBeInstanceOf(BlobTooLargeError);
    expect((error as BlobTooLargeError).size).toBe(2 * MiB);

    const other = await pool.start();
    await client.dial(other.getMultiaddrs(), { signal: deadline() });
    await serveBlobs(other, store(blob), { maxBytes: MiB });
    const limited = await failure(fetchBlob(client, other.peerId, sha256(blob), { maxBytes: 10 * MiB, signal: deadline() }));
    expect(limited, limited.message).toBeInstanceOf(BlobTooLargeError);
  });

  it('rejects an ok header announcing more than maxBytes before allocating anything', async () => {
    const { server, client } = await pair();
    // 2^52 bytes: allocating it would throw a RangeError, so a BlobTooLargeError proves no allocation was tried.
    await evilServer(server, async (stream) => {
      sendAll(stream, encodeResponseHeader({ status: 'ok', size: 2 ** 52 }), chunkFrame(new Uint8Array(100)));
      await stream.close();
    });
    const error = await failure(fetchBlob(client, server.peerId, 'ab'.repeat(32), { maxBytes: MiB, signal: deadline() }));
    expect(error).toBeInstanceOf(BlobTooLargeError);
    expect((error as BlobTooLargeError).size).toBe(2 ** 52);
  });

  it('detects wrong content, and fetchFromHolders then gets it from an honest holder', async () => {
    const evil = await pool.start();
    const honest = await pool.start();
    const client = await pool.start();
    await client.dial(evil.getMultiaddrs(), { signal: deadline() });
    await client.dial(honest.getMultiaddrs(), { signal: deadline() });
    const blob = randomBytes(6, 2 * MiB + 3);
    const hash = sha256(blob);
    const forged = blob.slice();
    forged[12345] = (forged[12345] ?? 0) ^ 1;
    await evilServer(evil, async (stream) => {
      sendAll(stream, encodeResponseHeader({ status: 'ok', size: forged.byteLength }));
      for (let at = 0; at < forged.byteLength; at += MiB) sendAll(stream, chunkFrame(forged.subarray(at, at + MiB)));
      await stream.close();
    });
    await serveBlobs(honest, store(blob), { maxBytes: 10 * MiB });

    const mismatch = await failure(fetchBlob(client, evil.peerId, hash, { maxBytes: 10 * MiB, signal: deadline() }));
    expect(mismatch).toBeInstanceOf(BlobHashMismatchError);
    expect(mismatch.peer).toBe(evil.peerId.toString());
    expect(mismatch.message).toContain(evil.peerId.toString());

    const failures: Array<[string, string]> = [];
    const fetched = await fetchFromHolders(client, [evil.peerId, honest.peerId.toString()], hash, {
      maxBytes: 10 * MiB,
      signal: deadline(),
      onFailure: (peer, error) => failures.push([peer, error.name]),
    });
    expect(sha256(fetched)).toBe(hash);
    expect(failures).toEqual([[evil.peerId.toString(), 'BlobHashMismatchError']]);
  });

  it('rejects a server that sends more than it announced, in a chunk or in an extra frame', async () => {
    const { server, client } = await pair();
    let mode: 'long chunk' | 'extra frame' = 'long chunk';
    await evilServer(server, async (stream) => {
      sendAll(stream, encodeResponseHeader({ status: 'ok', size: 10 }));
      if (mode === 'long chunk') sendAll(stream, chunkFrame(new Uint8Array(20)));
      else sendAll(stream, chunkFrame(new Uint8Array(10)), chunkFrame(new Uint8Array(5)));
      await stream.close();
    });
    const hash = sha256(new Uint8Array(10));
    const long = await failure(fetchBlob(client, server.peerId, hash, { maxBytes: MiB, signal: deadline() }));
    expect(long).toBeInstanceOf(BlobProtocolError);
    expect(long.message).toMatch(/announced 10 bytes but sends more/);
    mode = 'extra frame';
    const extra = await failure(fetchBlob(client, server.peerId, hash, { maxBytes: MiB, signal: deadline() }));
    expect(extra).toBeInstanceOf(BlobProtocolError);
    expect(extra.message).toMatch(/after all 10 announced bytes/);
  });

  it('rejects a truncated blob and an oversized chunk frame', async () => {
    const { server, client } = await pair();
    let mode: 'truncated' | 'oversized' = 'truncated';
    await evilServer(server, async (stream) => {
      if (mode === 'truncated') sendAll(stream, encodeResponseHeader({ status: 'ok', size: 10 }), chunkFrame(new Uint8Array(4)));
      else sendAll(stream, encodeResponseHeader({ status: 'ok', size: 4 * MiB }), encodeVarint(2 * MiB), new Uint8Array(100));
      await stream.close();
    });
    const truncated = await failure(fetchBlob(client, server.peerId, 'ab'.repeat(32), { maxBytes: MiB, signal: deadline() }));
    expect(truncated.message).toMatch(/ended after 4 of 10 bytes/);
    mode = 'oversized';
    const oversized = await failure(fetchBlob(client, server.peerId, 'ab'.repeat(32), { maxBytes: 8 * MiB, signal: deadline() }));
    expect(oversized).toBeInstanceOf(BlobProtocolError);
    expect(oversized.message).toMatch(/chunk frame of 2097152 bytes/);
  });

  it('aborts a stalled fetch at the AbortSignal deadline and closes the stream on both sides', async () => {
    const { server, client } = await pair();
    const stalled = deferred();
    const streams = await evilServer(server, async (stream) => {
      sendAll(stream, encodeResponseHeader({ status: 'ok', size: 1000 }), chunkFrame(new Uint8Array(10)));
      stalled.resolve();
      // ...and never another byte.
    });
    const started = performance.now();
    const error = await failure(fetchBlob(client, server.peerId, 'ab'.repeat(32), { maxBytes: MiB, signal: AbortSignal.timeout(300) }));
    const elapsed = performance.now() - started;
    await stalled.promise;
    expect(error).toBeInstanceOf(BlobAbortedError);
    expect(elapsed).toBeLessThan(2_000);
    expect(blobStreams(client)).toHaveLength(0);
    const serverSide = streams[0];
    expect(serverSide).toBeDefined();
    if (serverSide !== undefined) await untilClosed(serverSide);
    expect(serverSide?.status).toBe('reset');
  });

  it('survives malformed requests and keeps serving', async () => {
    const { server, client } = await pair();
    const blob = randomBytes(7, 5000);
    const errors: string[] = [];
    const handle = await serveBlobs(server, store(blob), { maxBytes: MiB, onError: (_peer, error) => errors.push(error.message) });
    const garbage: Array<[string, Uint8Array]> = [
      ['a wrong-length frame', Uint8Array.of(5, 1, 2, 3, 4, 5)],
      ['an endless varint', new Uint8Array(10).fill(0xff)],
      ['a truncated request', Uint8Array.of(41, 1, 2, 3)],
      ['an unknown version', (() => {
        const bytes = new Uint8Array(42);
        bytes[0] = 41;
        bytes[1] = 7;
        return bytes;
      })()],
      ['nothing at all', new Uint8Array(0)],
    ];
    for (const [name, bytes] of garbage) {
      const { header, stream } = await rawRequest(client, server, bytes);
      expect(header?.status, name).toBe('bad-request');
      await untilClosed(stream);
    }
    const fetched = await fetchBlob(client, server.peerId, sha256(blob), { maxBytes: MiB, signal: deadline() });
    expect(sha256(fetched)).toBe(sha256(blob));
    expect(handle.active).toBe(0);
    expect(errors).toEqual([]);
  });

  it('serves concurrent fetches of the same and different blobs', async () => {
    const { server, client } = await pair();
    const blobs = Array.from({ length: 6 }, (_, i) => randomBytes(100 + i, MiB + i * 100_003));
    const handle = await serveBlobs(server, store(...blobs), { maxBytes: 16 * MiB });
    const wanted = [...blobs, ...blobs, blobs[0], blobs[0], blobs[0]].map((blob) => sha256(blob ?? new Uint8Array()));
    const fetched = await Promise.all(wanted.map((hash) => fetchBlob(client, server.peerId, hash, { maxBytes: 16 * MiB, signal: deadline() })));
    expect(fetched.map(sha256)).toEqual(wanted);
    expect(handle.active).toBe(0);
  });

  it('answers busy beyond maxConcurrentStreams', async () => {
    const { server, client } = await pair();
    const blob = randomBytes(8, 100);
    const release = deferred();
    const entered = deferred();
    const lookup = store(blob);
    await serveBlobs(
      server,
      async (hash) => {
        entered.resolve();
        await release.promise;
        return lookup(hash);
      },
      { maxBytes: MiB, maxConcurrentStreams: 1 },
    );
    const first = fetchBlob(client, server.peerId, sha256(blob), { maxBytes: MiB, signal: deadline() });
    await entered.promise;
    const busy = await failure(fetchBlob(client, server.peerId, sha256(blob), { maxBytes: MiB, signal: deadline() }));
    expect(busy).toBeInstanceOf(BlobBusyError);
    release.resolve();
    expect(sha256(await first)).toBe(sha256(blob));
  });

  it('lists every failed holder when none serves the blob', async () => {
    const { server, client } = await pair();
    const silent = await pool.start();
    await client.dial(silent.getMultiaddrs(), { signal: deadline() });
    await serveBlobs(server, store(), { maxBytes: MiB });
    const failures: string[] = [];
    const error = await failure(
      fetchFromHolders(client, [server.peerId, server.peerId, client.peerId, silent.peerId], 'ab'.repeat(32), {
        maxBytes: MiB,
        signal: deadline(),
        onFailure: (peer) => failures.push(peer),
      }),
    );
    expect(error).toBeInstanceOf(BlobUnavailableError);
    const attempts = (error as BlobUnavailableError).attempts;
    expect(attempts.map((attempt) => [attempt.peer, attempt.error.name])).toEqual([
      [server.peerId.toString(), 'BlobNotFoundError'],
      [silent.peerId.toString(), 'BlobFetchError'],
    ]);
    expect(failures).toEqual([server.peerId.toString(), silent.peerId.toString()]);
    expect(error.message).toContain('BlobNotFoundError');
  });

  it('moves on from a stalling holder after attemptTimeoutMs', async () => {
    const stalling = await pool.start();
    const honest = await pool.start();
    const client = await pool.start();
    await client.dial(stalling.getMultiaddrs(), { signal: deadline() });
    await client.dial(honest.getMultiaddrs(), { signal: deadline() });
    await evilServer(stalling, async () => {});
    const blob = randomBytes(9, 1234);
    await serveBlobs(honest, store(blob), { maxBytes: MiB });
    const failures: string[] = [];
    const fetched = await fetchFromHolders(client, [stalling.peerId, honest.peerId], sha256(blob), {
      maxBytes: MiB,
      signal: deadline(),
      attemptTimeoutMs: 200,
      onFailure: (_peer, error) => failures.push(error.name),
    });
    expect(sha256(fetched)).toBe(sha256(blob));
    expect(failures).toEqual(['BlobDeadlineError']);
  });

  it('aborts a requester that stalls mid-request at timeoutMs, and one whose lookup fails', async () => {
    const { server, client } = await pair();
    const errors: string[] = [];
    const timedOut = deferred();
    const handle = await serveBlobs(
      server,
      async (hash) => {
        throw new Error(`disk error reading ${hash}`);
      },
      {
        maxBytes: MiB,
        timeoutMs: 300,
        onError: (_peer, error) => {
          errors.push(error.name);
          if (error.name === 'BlobServeTimeoutError') timedOut.resolve();
        },
      },
    );
    const stream = await client.dialProtocol(server.peerId, BLOB_PROTOCOL, { signal: deadline() });
    stream.send(Uint8Array.of(41, 1, 2, 3)); // and never the rest, nor a close
    await timedOut.promise;
    await untilClosed(stream);
    expect(stream.status).toBe('reset');
    expect(handle.active).toBe(0);

    const error = await failure(fetchBlob(client, server.peerId, 'ab'.repeat(32), { maxBytes: MiB, signal: deadline() }));
    expect(error).toBeInstanceOf(BlobFetchError);
    expect(errors).toEqual(['BlobServeTimeoutError', 'Error']);
  });

  it('implements the Transport fetch and serve ports', async () => {
    const { server, client } = await pair();
    const blob = randomBytes(11, 4321);
    const serving = blobPort(server, { serve: { maxBytes: MiB } });
    await serving.serve(store(blob));
    const fetching = blobPort(client, { serve: { maxBytes: MiB } });
    const fetched = await fetching.fetch(sha256(blob), [server.peerId.toString()], { maxBytes: MiB, signal: deadline() });
    expect(sha256(fetched)).toBe(sha256(blob));
    await serving.stop();
    await expect(fetching.fetch(sha256(blob), [server.peerId.toString()], { maxBytes: MiB, signal: deadline() })).rejects.toThrow(
      BlobUnavailableError,
    );
  });

  it('stops serving after stop()', async () => {
    const { server, client } = await pair();
    const blob = randomBytes(10, 10);
    const handle: BlobServer = await serveBlobs(server, store(blob), { maxBytes: MiB });
    await handle.stop();
    const error = await failure(fetchBlob(client, server.peerId, sha256(blob), { maxBytes: MiB, signal: deadline() }));
    expect(error).toBeInstanceOf(BlobFetchError);
  });
});
