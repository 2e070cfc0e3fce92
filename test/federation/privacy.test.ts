/**
 * Privacy: only weights and deltas leave a peer. Three real peers run two rounds with a spy on
 * everything they send — every advert handed to gossipsub, every byte written on the blob
 * protocol's streams — and no training row's bytes and no label sequence may appear in it.
 */
import { createHash } from 'node:crypto';
import type { Stream } from '@libp2p/interface';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeAdvert } from '../../protocols/adverts/codec.ts';
import { BLOB_PROTOCOL } from '../../protocols/blob/wire.ts';
import type { Peer } from '../../node/peer/peer.ts';
import { decodeWeights } from '../../node/learn/weights/index.ts';
import type { Dataset } from '../../node/learn/data/dataset.ts';
import { testFederation, testTask, waitFor, type TestFederation } from './helpers.ts';

let federation: TestFederation | undefined;

afterEach(async () => {
  await federation?.close();
  federation = undefined;
});

interface Sent {
  readonly peer: string;
  readonly bytes: Uint8Array;
}

/** Everything `peer` sends: advert payloads it publishes and the bytes of each blob exchange it serves. */
function spyOn(peer: Peer, adverts: Sent[], exchanges: { peer: string; chunks: Uint8Array[] }[]): void {
  const pubsub = peer.host.services.pubsub;
  const publish = pubsub.publish.bind(pubsub);
  pubsub.publish = async (...args: Parameters<typeof publish>) => {
    const [, data] = args;
    if (data !== undefined) adverts.push({ peer: peer.id, bytes: Uint8Array.from(data) });
    return publish(...args);
  };
  const host = peer.host;
  const handle = host.handle.bind(host);
  host.handle = async (...args: Parameters<typeof handle>) => {
    const [protocol, handler, options] = args;
    if (protocol !== BLOB_PROTOCOL) return handle(...args);
    return handle(
      protocol,
      (stream: Stream, connection) => {
        const exchange = { peer: peer.id, chunks: [] as Uint8Array[] };
        exchanges.push(exchange);
        const send = stream.send.bind(stream);
        stream.send = (data) => {
          exchange.chunks.push(Uint8Array.from(data.subarray()));
          return send(data);
        };
        return handler(stream, connection);
      },
      options,
    );
  };
}

/** Reads an unsigned LEB128 varint at `offset`: [value, next offset]. */
function varint(bytes: Uint8Array, offset: number): [number, number] {
  let value = 0;
  for (let shift = 0, i = offset; i < bytes.length; shift += 7, i++) {
    value += (bytes[i]! & 0x7f) * 2 ** shift;
    if ((bytes[i]! & 0x80) === 0) return [value, i + 1];
  }
  throw new Error('truncated varint');
}

/** The blob a served exchange carried (header frame, then chunk frames), or undefined for a non-ok answer. */
function servedBlob(wire: Uint8Array): Uint8Array | undefined {
  const [headerLength, afterPrefix] = varint(wire, 0);
  expect(headerLength).toBe(10);
  const header = wire.subarray(afterPrefix, afterPrefix + 10);
  if (header[1] !== 0) return undefined;
  const size = Number(new DataView(header.buffer, header.byteOffset, 10).getBigUint64(2));
  const blob = new Uint8Array(size);
  let filled = 0;
  let offset = afterPrefix + 10;
  while (offset < wire.length) {
    const [length, start] = varint(wire, offset);
    blob.set(wire.subarray(start, start + length), filled);
    filled += length;
    offset = start + length;
  }
  expect(filled).toBe(size);
  return blob;
}

const concat = (chunks: readonly Uint8Array[]) => Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)));
const bytesOf = (array: Float32Array | Int32Array | Uint8Array) => Buffer.from(array.buffer, array.byteOffset, array.byteLength);

/**
 * Byte patterns that would betray a shard: 64-byte windows (16 pixels, at least 10 of them
 * non-zero) of several rows' Float32 features, and label runs as Int32 and as bytes.
 */
function needles(shard: Dataset): { what: string; bytes: Buffer }[] {
  const found: { what: string; bytes: Buffer }[] = [];
  const { features, featureCount, labels } = shard;
  for (let row = 0; row < shard.size; row += Math.floor(shard.size / 8)) {
    let taken = 0;
    for (let col = 0; col + 16 <= featureCount && taken < 4; col += 16) {
      const window = features.subarray(row * featureCount + col, row * featureCount + col + 16);
      if (window.filter((v) => v !== 0).length < 10) continue;
      found.push({ what: `${shard.name} row ${row} pixels ${col}…${col + 15}`, bytes: Buffer.from(bytesOf(window)) });
      taken++;
    }
  }
  for (const start of [0, 50, 100, 150]) {
    found.push({ what: `${shard.name} labels ${start}… as int32`, bytes: Buffer.from(bytesOf(labels.subarray(start, start + 16))) });
    found.push({ what: `${shard.name} labels ${start}… as bytes`, bytes: Buffer.from(Uint8Array.from(labels.subarray(start, start + 32))) });
  }
  return found;
}

describe('privacy of a federation of real peers', () => {
  it('sends only adverts and weights: no raw training sample leaves a peer', async () => {
    const task = testTask({
      cohort: { fraction: 1, minPeers: 3 },
      timing: { collectionWindowMs: 3000, curatorDeadlineMs: 4000, maxBlobBytes: 16 * 1024 * 1024 },
    });
    federation = await testFederation(3, 250, task);
    const world = federation;
    const adverts: Sent[] = [];
    const exchanges: { peer: string; chunks: Uint8Array[] }[] = [];
    const peers: Peer[] = [];
    for (let i = 0; i < 3; i++) {
      const peer = await world.start(i, { autoStart: false });
      spyOn(peer, adverts, exchanges);
      peers.push(peer);
    }
    for (const peer of peers) await peer.start();
    await waitFor(world, () => world.commonRound() >= 2, 40_000, 'every peer at round 2');
    // The model's tensors: the genesis version's, less its round tag (PROTOCOL §3.7).
    const model = { tensors: decodeWeights(peers[0]!.learner.genesisBlob()).manifest.tensors.slice(0, -1) };
    for (let i = 0; i < 3; i++) await world.stop(i); // nothing more is sent while we look

    // The spy saw real traffic: presence, delta and version adverts, and blobs served.
    const decoded = adverts.map(({ bytes }) => decodeAdvert(bytes));
    const kinds = new Set(decoded.map((advert) => advert.kind));
    expect([...kinds].sort()).toEqual(['delta', 'presence', 'version']);
    const blobs = exchanges.map(({ chunks }) => servedBlob(concat(chunks))).filter((blob) => blob !== undefined);
    expect(blobs.length).toBeGreaterThan(0);

    // Every blob served is a GFLW encoding of exactly the model's tensors (a version's followed by
    // its round tag, which holds no values): a delta, a version's patch (peers holding the parent
    // rebuild versions from it) or a version.
    const deltaHashes = new Set(decoded.flatMap((advert) => (advert.kind === 'delta' ? [advert.delta] : [])));
    const patchHashes = new Set(decoded.flatMap((advert) => (advert.kind === 'version' && advert.patch !== undefined ? [advert.patch] : [])));
    const versionHashes = new Set(decoded.flatMap((advert) => (advert.kind === 'version' ? [advert.hash] : [])));
    const served = { deltas: 0, patches: 0, versions: 0 };
    for (const blob of blobs) {
      const { tensors } = decodeWeights(blob).manifest;
      const withoutTag = /^round\/\d+$/.test(tensors.at(-1)?.name ?? '') && tensors.at(-1)!.shape.join() === '0' ? tensors.slice(0, -1) : tensors;
      expect({ tensors: withoutTag }).toEqual(model);
      const hash = createHash('sha256').update(blob).digest('hex');
      if (deltaHashes.has(hash)) served.deltas++;
      else if (patchHashes.has(hash)) served.patches++;
      else if (versionHashes.has(hash)) served.versions++;
      else throw new Error(`served blob ${hash} is not an advertised delta, patch or version`);
    }
    expect(served.deltas).toBeGreaterThan(0);
    expect(served.patches + served.versions).toBeGreaterThan(0);

    // No training row's bytes, no label run, in anything sent.
    const payloads = [...adverts.map(({ bytes }) => Buffer.from(bytes)), ...exchanges.map(({ chunks }) => concat(chunks))];
    const patterns = world.shards.flatMap(needles);
    expect(patterns.length).toBeGreaterThan(3 * 8);
    // The search itself works: a pattern is found in the shard it was taken from.
    expect(bytesOf(world.shards[0]!.features).indexOf(patterns[0]!.bytes)).toBeGreaterThanOrEqual(0);
    const leaks = patterns.flatMap(({ what, bytes }) => payloads.flatMap((payload, i) => (payload.indexOf(bytes) >= 0 ? [`${what} in payload ${i}`] : [])));
    expect(leaks).toEqual([]);
    console.log(`privacy: ${adverts.length} adverts, ${exchanges.length} blob exchanges (${served.deltas} deltas, ${served.patches} patches, ${served.versions} versions served), ${patterns.length} patterns checked`);
  });
});
