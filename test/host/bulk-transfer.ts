/**
 * Pushes many bytes both ways over one libp2p stream at once, in writes of very different sizes
 * (over 640 KiB, a few bytes, odd sizes), and returns a sha256 of what each side sent and what
 * it received. Used by the PSK tests and by bench-style checks of the pnet protectors.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Libp2p, Stream } from '@libp2p/interface';
import { byteStream } from '@libp2p/utils';

export const BULK_PROTOCOL = '/gossipfl/test/bulk/1.0.0';

/** Write sizes, cycled: large writes (> 640 KiB, the size that set off @libp2p/pnet) among many small ones. */
const WRITE_SIZES = [800 * 1024, 100, 3, 1, 64 * 1024 + 7, 1024 * 1024 + 13, 100, 57, 700 * 1024 + 1, 9, 4096, 100];

export interface SideResult {
  readonly sentBytes: number;
  readonly sentSha256: string;
  readonly receivedBytes: number;
  readonly receivedSha256: string;
}

export interface BulkResult {
  readonly dialer: SideResult;
  readonly listener: SideResult;
  readonly milliseconds: number;
}

/**
 * `dialer` opens `streams` streams to `listener` on one connection; on each, both sides send
 * their share of `bytesEachWay` while reading the other's. Hashes cover each side's streams in
 * order of opening.
 */
export async function bulkExchange(
  dialer: Libp2p,
  listener: Libp2p,
  bytesEachWay: number,
  signal: AbortSignal,
  streams = 1,
): Promise<BulkResult> {
  const pool = randomBytes(2 * 1024 * 1024);
  const share = Math.ceil(bytesEachWay / streams);
  const listenerSides = new Map<number, Promise<SideResult>>();
  const allArrived = Promise.withResolvers<void>();
  await listener.handle(
    BULK_PROTOCOL,
    (stream) => {
      const side = sendAndReceive(stream, pool, share, 5 + listenerSides.size, signal);
      side.catch(() => {});
      listenerSides.set(listenerSides.size, side);
      if (listenerSides.size === streams) allArrived.resolve();
    },
    { maxInboundStreams: streams },
  );
  const started = performance.now();
  try {
    const opened = await Promise.all(
      Array.from({ length: streams }, () => dialer.dialProtocol(listener.peerId, BULK_PROTOCOL, { signal })),
    );
    const dialerSides = await Promise.all(opened.map((stream, index) => sendAndReceive(stream, pool, share, index, signal)));
    await allArrived.promise;
    const listenerResults = await Promise.all([...listenerSides.values()]);
    return { dialer: combine(dialerSides), listener: combine(listenerResults), milliseconds: performance.now() - started };
  } finally {
    await listener.unhandle(BULK_PROTOCOL);
  }
}

/**
 * One result for several streams: byte counts added, per-stream hashes sorted (streams may be
 * accepted in another order than they were opened) and hashed together.
 */
function combine(sides: readonly SideResult[]): SideResult {
  if (sides.length === 1) return sides[0]!;
  const sent = createHash('sha256');
  const received = createHash('sha256');
  for (const hash of sides.map((side) => side.sentSha256).sort()) sent.update(hash);
  for (const hash of sides.map((side) => side.receivedSha256).sort()) received.update(hash);
  return {
    sentBytes: sides.reduce((sum, side) => sum + side.sentBytes, 0),
    sentSha256: sent.digest('hex'),
    receivedBytes: sides.reduce((sum, side) => sum + side.receivedBytes, 0),
    receivedSha256: received.digest('hex'),
  };
}

async function sendAndReceive(stream: Stream, pool: Uint8Array, total: number, firstSize: number, signal: AbortSignal): Promise<SideResult> {
  const [sent, received] = await Promise.all([send(stream, pool, total, firstSize, signal), receive(stream)]);
  return { sentBytes: sent.bytes, sentSha256: sent.sha256, receivedBytes: received.bytes, receivedSha256: received.sha256 };
}

async function send(stream: Stream, pool: Uint8Array, total: number, firstSize: number, signal: AbortSignal): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let sent = 0;
  for (let i = firstSize; sent < total; i++) {
    signal.throwIfAborted();
    const size = Math.min(WRITE_SIZES[i % WRITE_SIZES.length]!, total - sent);
    const offset = (i * 7919) % (pool.byteLength - size + 1);
    const chunk = pool.subarray(offset, offset + size);
    hash.update(chunk);
    sent += size;
    if (!stream.send(chunk)) await drained(stream, signal);
  }
  await stream.close({ signal });
  return { bytes: sent, sha256: hash.digest('hex') };
}

async function receive(stream: Stream): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    const parts = chunk instanceof Uint8Array ? [chunk] : chunk;
    for (const part of parts) {
      hash.update(part);
      bytes += part.byteLength;
    }
  }
  return { bytes, sha256: hash.digest('hex') };
}

/**
 * Waits for the stream's next 'drain' (or its close, or the signal). Not `stream.onDrain()`: in
 * @libp2p/utils 7.4.1 its promise is never reset after the first drain, so later calls resolve at
 * once and the writer never waits again.
 */
function drained(stream: Stream, signal: AbortSignal): Promise<void> {
  if (!stream.writableNeedsDrain) return Promise.resolve();
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  const onDrain = (): void => resolve();
  const onClose = (): void => reject(new Error(`the stream closed while waiting to send (status ${stream.status})`));
  const onAbort = (): void => reject(signal.reason);
  stream.addEventListener('drain', onDrain);
  stream.addEventListener('close', onClose);
  signal.addEventListener('abort', onAbort);
  return promise.finally(() => {
    stream.removeEventListener('drain', onDrain);
    stream.removeEventListener('close', onClose);
    signal.removeEventListener('abort', onAbort);
  });
}

export const ECHO_PROTOCOL = '/gossipfl/test/echo/1.0.0';

/**
 * `rounds` request/response round trips of small messages (1…300 bytes) on one stream, each
 * echoed back and compared. Every round trip runs all four cipher directions of the connection
 * in turn — the interleaving that made @libp2p/pnet's shared WASM memory grow on every update.
 * Returns how many round trips completed.
 */
export async function echoRounds(dialer: Libp2p, listener: Libp2p, rounds: number, signal: AbortSignal): Promise<number> {
  await listener.handle(ECHO_PROTOCOL, async (stream) => {
    try {
      for await (const chunk of stream) {
        if (!stream.send(chunk)) await drained(stream, signal);
      }
      await stream.close({ signal });
    } catch (error) {
      stream.abort(error instanceof Error ? error : new Error(String(error)));
    }
  });
  try {
    const stream = await dialer.dialProtocol(listener.peerId, ECHO_PROTOCOL, { signal });
    const bytes = byteStream(stream);
    let completed = 0;
    for (let i = 0; i < rounds; i++) {
      const size = 1 + ((i * 37) % 300);
      const message = randomBytes(size);
      if (!stream.send(message)) await drained(stream, signal);
      const echoed = await bytes.read({ bytes: size, signal });
      if (!Buffer.from(echoed.subarray()).equals(message)) throw new Error(`round ${i}: the echo differs from the message`);
      completed++;
    }
    await stream.close({ signal });
    return completed;
  } finally {
    await listener.unhandle(ECHO_PROTOCOL);
  }
}
