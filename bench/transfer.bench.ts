/**
 * Blob transfer: pulling a blob over our protocol (`/gossipfl/blob/1.0.0`: request, framed
 * chunks, sha256 check) against a bare libp2p stream writing the same bytes, on the same two
 * hosts and the same noise + yamux connection over loopback TCP, in one run.
 */
import { createHash } from 'node:crypto';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Stream } from '@libp2p/interface';
import { createHost, type Host } from '../node/host/host.ts';
import { fetchBlob, MAX_CHUNK_BYTES, serveBlobs } from '../protocols/blob/index.ts';
import { interleavedMedians, MiB, randomFloats, round } from './measure.ts';
import type { Bench, BenchOptions, BenchResult } from './types.ts';

/** A protocol registered for this bench only: the server writes the blob and closes. */
const RAW_PROTOCOL = '/gossipfl-bench/raw/1.0.0';
const GOAL_RATIO = 0.9;

interface SizeFigures {
  readonly mebibytes: number;
  readonly reps: number;
  readonly oursMiBps: number;
  readonly rawMiBps: number;
  /** The raw stream read into one buffer and sha256-hashed: what any verified pull must do at least. */
  readonly rawVerifiedMiBps: number;
  /** ours / raw: the goal. */
  readonly ratio: number;
  /** ours / raw verified: what the protocol itself (request, framing, checks) costs. */
  readonly ratioVerified: number;
}

async function loopbackHost(): Promise<Host> {
  return createHost({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'] });
}

/** Writes `blob` on `stream` in chunks of the blob protocol's size, waiting for the muxer to drain. */
async function writeAll(stream: Stream, blob: Uint8Array): Promise<void> {
  for (let offset = 0; offset < blob.byteLength; offset += MAX_CHUNK_BYTES) {
    if (!stream.send(blob.subarray(offset, offset + MAX_CHUNK_BYTES))) await stream.onDrain();
  }
  await stream.close();
}

/**
 * Closes our (unused) write side, as the blob client does, and reads the stream to its end;
 * with `into`, copies the bytes there and hashes them. Returns the byte count.
 */
async function readAll(stream: Stream, into?: Uint8Array): Promise<number> {
  const closing = stream.close();
  const sha = into === undefined ? undefined : createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    for (const piece of chunk instanceof Uint8Array ? [chunk] : chunk) {
      into?.set(piece, bytes);
      sha?.update(piece);
      bytes += piece.byteLength;
    }
  }
  sha?.digest();
  await closing;
  return bytes;
}

async function run({ smoke, log }: BenchOptions): Promise<BenchResult> {
  const sizes = smoke ? [1 / 16, 1] : [1, 16, 64];
  const server = await loopbackHost();
  const client = await loopbackHost();
  try {
    await client.dial(server.getMultiaddrs(), { signal: AbortSignal.timeout(10_000) });
    const blobs = new Map<string, Uint8Array>();
    const blobServer = await serveBlobs(server, async (hash) => blobs.get(hash), { maxBytes: 128 * MiB });
    let current: Uint8Array = new Uint8Array(0);
    await server.handle(RAW_PROTOCOL, (stream) => writeAll(stream, current));

    const figures: SizeFigures[] = [];
    for (const mebibytes of sizes) {
      const bytes = Math.round(mebibytes * MiB);
      current = new Uint8Array(randomFloats(bytes / 4, bytes).buffer);
      const hash = createHash('sha256').update(current).digest('hex');
      blobs.set(hash, current);
      const ours = async (): Promise<void> => {
        const got = await fetchBlob(client, server.peerId, hash, { maxBytes: bytes });
        if (got.byteLength !== bytes) throw new Error(`fetched ${got.byteLength} bytes, expected ${bytes}`);
      };
      const raw = (verified: boolean) => async (): Promise<void> => {
        const got = await readAll(await client.dialProtocol(server.peerId, RAW_PROTOCOL), verified ? new Uint8Array(bytes) : undefined);
        if (got !== bytes) throw new Error(`raw stream carried ${got} bytes, expected ${bytes}`);
      };
      const reps = smoke ? 1 : mebibytes >= 64 ? 5 : mebibytes >= 16 ? 9 : 21;
      log(`${mebibytes} MiB × ${reps}…`);
      const [oursSeconds = Number.NaN, rawSeconds = Number.NaN, verifiedSeconds = Number.NaN] = await interleavedMedians(reps, [ours, raw(false), raw(true)]);
      figures.push({
        mebibytes,
        reps,
        oursMiBps: round(mebibytes / oursSeconds),
        rawMiBps: round(mebibytes / rawSeconds),
        rawVerifiedMiBps: round(mebibytes / verifiedSeconds),
        ratio: round(rawSeconds / oursSeconds, 3),
        ratioVerified: round(verifiedSeconds / oursSeconds, 3),
      });
      blobs.delete(hash);
    }
    await blobServer.stop();

    const worst = Math.min(...figures.map((f) => f.ratio));
    return {
      summary:
        'Two libp2p hosts (TCP on 127.0.0.1, noise, yamux, as createHost configures them) in one process: a blob pulled ' +
        'with fetchBlob from serveBlobs (request, 1 MiB chunk frames, sha256 checked, one copy into the result) vs a ' +
        'bare stream of a bench-only protocol writing the same bytes in 1 MiB pieces, read and counted; and the same bare ' +
        'stream copied into one buffer and sha256-hashed (raw verified), which shows what the protocol itself adds. ' +
        'Both ends run in one Node process (one thread), so encryption, decryption and hashing share one core. Median of interleaved repetitions.',
      tables: [
        {
          title: 'Blob transfer over loopback (MiB/s)',
          columns: ['MiB', 'reps', 'ours', 'raw stream', 'raw verified', 'ours/raw', 'ours/raw verified'],
          rows: figures.map((f) => [f.mebibytes, f.reps, f.oursMiBps, f.rawMiBps, f.rawVerifiedMiBps, f.ratio, f.ratioVerified]),
        },
      ],
      figures: { sizes: figures },
      goals: [
        {
          goal: `ours/raw >= ${GOAL_RATIO} at every size`,
          measured: figures.map((f) => `${f.mebibytes} MiB: ${f.ratio}`).join(', '),
          met: worst >= GOAL_RATIO,
        },
      ],
    };
  } finally {
    await Promise.all([client.stop(), server.stop()]);
  }
}

const bench: Bench = {
  name: 'transfer',
  description: 'pull 1, 16, 64 MiB blobs over the blob protocol vs a raw libp2p stream (noise + yamux) writing the same bytes',
  run,
};
export default bench;
