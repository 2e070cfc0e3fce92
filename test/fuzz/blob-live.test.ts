/**
 * Live fuzzing of the blob protocol over real libp2p streams on loopback: a hostile client
 * against the blob server (through the blob port), and a hostile server against the client.
 */
import { createHash } from 'node:crypto';
import type { Stream } from '@libp2p/interface';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Host } from '../../node/host/host.ts';
import { BlobError, blobPort, fetchBlob } from '../../protocols/blob/index.ts';
import {
  BLOB_PROTOCOL,
  decodeRequest,
  decodeResponseHeader,
  encodeRequest,
  encodeResponseHeader,
  encodeVarint,
  frame,
  FrameDecoder,
  REQUEST_BODY_BYTES,
  STATUS,
  WireFormatError,
  type BlobStatus,
} from '../../protocols/blob/wire.ts';
import { deadline, hostPool } from '../host/helpers.ts';
import { hashArbitrary } from './arbitraries.ts';
import { mutateAll, mutationsArbitrary, randomBytes } from './mutations.ts';
import { fuzzAsync, MAX_DECODE_MS } from './support.ts';

const pool = hostPool();

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const STORED = [new Uint8Array(0), Uint8Array.from({ length: 3_000 }, (_, i) => (i * 7) & 0xff), Uint8Array.from({ length: 70 }, (_, i) => i)];
const BY_HASH = new Map(STORED.map((blob) => [sha256(blob), blob]));
const STORED_HASHES = [...BY_HASH.keys()];
const SERVER_MAX_BYTES = 2_000;

/** Splits `bytes` at the given fractions of its length. */
function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => Math.floor(cut * bytes.byteLength)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let at = 0;
  for (const point of [...points, bytes.byteLength]) {
    if (point > at) pieces.push(bytes.subarray(at, point));
    at = point;
  }
  return pieces;
}

const cutsArbitrary = fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { maxLength: 5 });

/** The status the server must answer to these request bytes (sent whole, then half-closed). */
function expectedStatus(bytes: Uint8Array): { status: BlobStatus; blob?: Uint8Array } {
  const body = new Uint8Array(REQUEST_BODY_BYTES);
  let filled = 0;
  let complete = false;
  const decoder = new FrameDecoder({
    start(length) {
      if (length !== REQUEST_BODY_BYTES) throw new WireFormatError('wrong length');
    },
    data(piece) {
      body.set(piece, filled);
      filled += piece.byteLength;
    },
    end() {
      complete = true;
    },
  });
  try {
    for (const byte of bytes) {
      if (complete) break;
      decoder.feed(Uint8Array.of(byte));
    }
  } catch {
    return { status: 'bad-request' };
  }
  if (!complete) return { status: 'bad-request' };
  let request;
  try {
    request = decodeRequest(body);
  } catch {
    return { status: 'bad-request' };
  }
  const blob = BY_HASH.get(request.hash);
  if (blob === undefined) return { status: 'not-found' };
  if (blob.byteLength > Math.min(request.maxBytes, SERVER_MAX_BYTES)) return { status: 'too-large' };
  return { status: 'ok', blob };
}

/** Reads everything the other side sends until it closes, or fails after `ms`. */
async function readAll(stream: Stream, ms: number): Promise<{ bytes: Uint8Array; reset: boolean }> {
  const pieces: number[] = [];
  let reset = false;
  const timer = setTimeout(() => stream.abort(new Error(`no end of stream within ${ms} ms`)), ms);
  try {
    for await (const piece of stream) pieces.push(...(piece instanceof Uint8Array ? piece : piece.subarray()));
  } catch {
    reset = true;
  } finally {
    clearTimeout(timer);
  }
  return { bytes: Uint8Array.from(pieces), reset };
}

function frames(bytes: Uint8Array): Uint8Array[] {
  const out: number[][] = [];
  new FrameDecoder({ start: () => out.push([]), data: (piece) => out.at(-1)?.push(...piece), end: () => {} }).feed(bytes);
  return out.map((f) => Uint8Array.from(f));
}

/** Waits until `host` has no blob stream left open (every exchange closed or aborted). */
async function untilNoBlobStreams(host: Host): Promise<void> {
  const open = (): number => host.getConnections().flatMap((connection) => connection.streams.filter((stream) => stream.protocol === BLOB_PROTOCOL)).length;
  const signal = deadline(5_000);
  while (open() !== 0) {
    if (signal.aborted) throw new Error(`${open()} blob streams still open on ${host.peerId.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function servingPair(timeoutMs = 5_000): Promise<{ server: Host; client: Host; errors: Error[] }> {
  const server = await pool.start();
  const client = await pool.start();
  const errors: Error[] = [];
  const port = blobPort(server, { serve: { maxBytes: SERVER_MAX_BYTES, timeoutMs, onError: (_peer, error) => errors.push(error) } });
  await port.serve(async (hash) => BY_HASH.get(hash));
  await client.dial(server.getMultiaddrs(), { signal: deadline() });
  return { server, client, errors };
}

async function honestFetch(client: Host, server: Host): Promise<void> {
  const blob = STORED[2] as Uint8Array;
  expect(await fetchBlob(client, server.peerId, sha256(blob), { maxBytes: 1_000, signal: deadline() })).toEqual(blob);
}

const requestBytesArbitrary = fc.oneof(
  randomBytes,
  fc.record({ hash: fc.oneof(fc.constantFrom(...STORED_HASHES), hashArbitrary), maxBytes: fc.oneof(fc.nat({ max: 4_000 }), fc.maxSafeNat()) }).map(encodeRequest),
  fc
    .tuple(fc.record({ hash: fc.constantFrom(...STORED_HASHES), maxBytes: fc.nat({ max: 4_000 }) }), mutationsArbitrary)
    .map(([request, mutations]) => mutateAll(encodeRequest(request), mutations)),
);

describe('blob server under a hostile client', () => {
  it('answers random and mutated request frames, split anywhere, as the protocol says, and keeps serving', async () => {
    const { server, client, errors } = await servingPair();
    await fuzzAsync('blob live: server(random and mutated requests)', 30, [requestBytesArbitrary, cutsArbitrary, fc.boolean()], async (bytes, cuts, hangUp) => {
      const stream = await client.dialProtocol(server.peerId, BLOB_PROTOCOL, { signal: deadline() });
      for (const piece of split(bytes, cuts)) if (!stream.send(piece)) await stream.onDrain({ signal: deadline() });
      if (hangUp) {
        // The client resets right after sending: the server must just drop the exchange.
        stream.abort(new Error('hostile client hangs up'));
        return;
      }
      await stream.close({ signal: deadline() });
      const { bytes: answer } = await readAll(stream, 5_000);
      const expected = expectedStatus(bytes);
      const [header, ...chunks] = frames(answer);
      expect(header).toBeDefined();
      expect(decodeResponseHeader(header as Uint8Array).status).toBe(expected.status);
      if (expected.blob !== undefined) {
        expect(Uint8Array.from(chunks.flatMap((chunk) => [...chunk]))).toEqual(expected.blob);
      }
    });
    await honestFetch(client, server);
    await untilNoBlobStreams(server);
    // What the server reported are its streams' ends (resets by the hostile client), never a bug of its own.
    expect(errors.filter((error) => error instanceof TypeError || error instanceof RangeError)).toEqual([]);
  });

  it('times out a client that sends part of a request and never finishes, then serves the next one', async () => {
    const { server, client } = await servingPair(300);
    const stream = await client.dialProtocol(server.peerId, BLOB_PROTOCOL, { signal: deadline() });
    stream.send(encodeRequest({ hash: STORED_HASHES[2] as string, maxBytes: 100 }).subarray(0, 20));
    const { reset } = await readAll(stream, 5_000);
    expect(reset || stream.status !== 'open').toBe(true);
    await honestFetch(client, server);
    await untilNoBlobStreams(server);
  });
});

/** A server whose answer to every request is `respond()`'s bytes, split by its cuts, then a close or a reset. */
async function hostileServer(host: Host, respond: () => { bytes: Uint8Array; cuts: readonly number[]; end: 'close' | 'reset' }): Promise<void> {
  await host.handle(BLOB_PROTOCOL, async (stream) => {
    try {
      for await (const _ of stream) {
        // read the request to its end
      }
      const { bytes, cuts, end } = respond();
      for (const piece of split(bytes, cuts)) if (!stream.send(piece)) await stream.onDrain({ signal: deadline() });
      if (end === 'reset') stream.abort(new Error('hostile server resets'));
      else await stream.close({ signal: deadline() });
    } catch (error) {
      stream.abort(error instanceof Error ? error : new Error(String(error)));
    }
  });
}

function okResponse(blob: Uint8Array, chunk: number): Uint8Array {
  const parts = [encodeResponseHeader({ status: 'ok', size: blob.byteLength })];
  for (let at = 0; at < blob.byteLength; at += chunk) parts.push(frame(blob.subarray(at, at + chunk)));
  return Uint8Array.from(parts.flatMap((part) => [...part]));
}

describe('blob client under a hostile server', () => {
  it('rejects random and mutated responses with a BlobError subclass, never hangs, and accepts only the right bytes', async () => {
    const blob = STORED[1] as Uint8Array;
    const hash = sha256(blob);
    const valid = okResponse(blob, 1_000);
    const responseArbitrary = fc.record({
      bytes: fc.oneof(
        randomBytes,
        fc.constantFrom(...(Object.keys(STATUS) as BlobStatus[])).map((status) => encodeResponseHeader({ status, size: blob.byteLength })),
        fc.tuple(fc.integer({ min: 1, max: 1_500 }), mutationsArbitrary).map(([chunk, mutations]) => mutateAll(okResponse(blob, chunk), mutations)),
        fc.tuple(randomBytes).map(([tail]) => Uint8Array.from([...encodeResponseHeader({ status: 'ok', size: blob.byteLength }), ...tail])),
        fc.constant(Uint8Array.from([...encodeResponseHeader({ status: 'ok', size: 2 ** 40 }), ...encodeVarint(5)])),
      ),
      cuts: cutsArbitrary,
      end: fc.constantFrom('close' as const, 'close' as const, 'reset' as const),
    });
    const server = await pool.start();
    const client = await pool.start();
    await client.dial(server.getMultiaddrs(), { signal: deadline() });
    let current: { bytes: Uint8Array; cuts: readonly number[]; end: 'close' | 'reset' } = { bytes: valid, cuts: [], end: 'close' };
    await hostileServer(server, () => current);
    await fuzzAsync('blob live: client(random and mutated responses)', 30, [responseArbitrary], async (response) => {
      current = response;
      const started = performance.now();
      const outcome = await fetchBlob(client, server.peerId, hash, { maxBytes: 4_000, signal: deadline(5_000) }).then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      expect(performance.now() - started).toBeLessThan(5_000 + MAX_DECODE_MS);
      if (outcome.ok) {
        expect(outcome.value).toEqual(blob);
      } else {
        expect(outcome.error).toBeInstanceOf(BlobError);
        expect((outcome.error as Error).name).toBe((outcome.error as Error).constructor.name);
        expect((outcome.error as Error).name).not.toBe('BlobAbortedError');
      }
    });
    // The same client still fetches from an honest answer.
    current = { bytes: valid, cuts: [0.3], end: 'close' };
    expect(await fetchBlob(client, server.peerId, hash, { maxBytes: 4_000, signal: deadline() })).toEqual(blob);
    await untilNoBlobStreams(client);
  });
});
