import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../node/learn/backend.ts';
import { subset } from '../../node/learn/data/dataset.ts';
import { mnistSplit } from '../../node/learn/data/mnist.ts';
import { decodeWeights, encodeWeights } from '../../node/learn/weights/index.ts';
import { Learner } from '../../node/peer/learner.ts';
import { PeerRuntime, type PeerEvent } from '../../node/peer/runtime.ts';
import { RoundEngine } from '../../node/round/engine.ts';
import { systemClock, type Transport } from '../../node/round/ports.ts';
import { openTaskStore } from '../../node/store/index.ts';
import type { ReceivedAdvert } from '../../protocols/messages.ts';
import { testTask } from '../federation/helpers.ts';

const task = testTask();
let dir: string;

beforeAll(async () => {
  await selectBackend();
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function learnerWithSeed(seed: number): Promise<Learner> {
  const { train } = await mnistSplit();
  const data = subset(train, Array.from({ length: 50 }, (_, i) => i));
  return Learner.create({ task: { ...task, model: { ...task.model, seed } }, model: { kind: 'preset', preset: 'mlp' }, shape: { featureCount: 784, classCount: 10 }, data, seed: 'runtime-test' });
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The same weights as the version blob `blob`, tagged as the version of `round` (PROTOCOL §3.7). */
function asRound(blob: Uint8Array, round: number): Uint8Array {
  const { manifest, values } = decodeWeights(blob);
  return encodeWeights({ manifest: { tensors: [...manifest.tensors.slice(0, -1), { name: `round/${round}`, shape: [0], dtype: 'float32' }] }, values }, 'f32');
}

/** One peer over a transport that only delivers what the test injects and serves the given blobs. */
async function runPeer(blobs: readonly Uint8Array[], script: (inject: (advert: ReceivedAdvert) => void, events: PeerEvent[]) => Promise<void>, recordOf = sha256(blobs[0]!)) {
  const served = new Map(blobs.map((blob) => [sha256(blob), blob]));
  const fetched: string[] = [];
  const store = await openTaskStore(dir, task.id);
  const handlers: ((received: ReceivedAdvert) => void)[] = [];
  const transport: Transport = {
    self: 'peer-a',
    publish: async () => {},
    onAdvert: (handler) => {
      handlers.push(handler);
      return () => {};
    },
    fetch: async (hash) => {
      fetched.push(hash);
      const blob = served.get(hash);
      if (blob === undefined) throw new Error('not held');
      return blob;
    },
    serve: async () => {},
    stop: async () => {},
  };
  const events: PeerEvent[] = [];
  const learner = await learnerWithSeed(1);
  const runtime = new PeerRuntime({
    engine: new RoundEngine({ self: 'peer-a', task: task.id, cohortFraction: 1, minPeers: 2, collectionWindowMs: 60_000, curatorDeadlineMs: 120_000, presenceIntervalMs: 2000, peerTimeoutMs: 6000, maxRounds: 50 }),
    taskHash: '0'.repeat(64),
    transport,
    clock: systemClock,
    store,
    learner,
    maxBlobBytes: 16 << 20,
    fetchTimeoutMs: 5000,
    onEvent: (event) => events.push(event),
  });
  try {
    const head = await runtime.start();
    await script((advert) => handlers.forEach((handler) => handler(advert)), events);
    return { head, fetched, checkpoint: await store.checkpoint.load(), record: await store.versions.get(recordOf) };
  } finally {
    await runtime.stop();
    await store.close();
    learner.dispose();
  }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('peer runtime', () => {
  it('checkpoints a version caught up from presence only once its provenance is known, so restarts always work', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gossipfl-runtime-'));
    const other = await learnerWithSeed(2);
    const blob = asRound(other.genesisBlob(), 2); // stands in for a round-2 version another peer holds
    other.dispose();
    const remote = { hash: sha256(blob), blob };
    const presence: ReceivedAdvert = { from: 'peer-b', advert: { kind: 'presence', task: task.id, round: 2, head: remote.hash, age: 0, sentAt: Date.now() } };

    const first = await runPeer([blob], async (inject, events) => {
      inject(presence);
      await until(() => events.some((e) => e.type === 'adopted' && e.head.round === 2), 'adoption of round 2');
    });
    expect(first.checkpoint?.round).toBe(0);
    expect(first.record).toBeUndefined();

    const parent = 'ab'.repeat(32);
    const second = await runPeer([blob], async (inject, events) => {
      inject(presence);
      await until(() => events.some((e) => e.type === 'adopted' && e.head.round === 2), 'adoption of round 2 again');
      inject({ from: 'peer-b', advert: { kind: 'version', task: task.id, round: 2, hash: remote.hash, parent, bytes: blob.byteLength, contributors: [], merged: [], curator: 'peer-b', sentAt: Date.now() } });
      await until(() => events.some((e) => e.type === 'adopted' && e.head.round === 2 && e.head.parent === parent), 'provenance of round 2');
    });
    expect(second.head.round).toBe(0);
    expect(second.checkpoint).toMatchObject({ round: 2, head: remote.hash });
    expect(second.record).toMatchObject({ round: 2, parent, curator: 'peer-b' });
  });

  it('rebuilds an advertised version from its patch, and pulls it whole when the patch does not rebuild it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gossipfl-runtime-'));
    const curator = await learnerWithSeed(1); // the same genesis as the peer under test
    const genesis = curator.genesisBlob();
    const trained = await curator.train(genesis, 1);
    const made = curator.aggregate(genesis, [{ from: 'peer-c', blob: trained.blob, samples: trained.samples }]);
    const other = curator.aggregate(genesis, [{ from: 'peer-c', blob: trained.blob, samples: trained.samples }, { from: 'peer-d', blob: (await curator.train(genesis, 2)).blob, samples: 5 }]);
    curator.dispose();
    const version = made.blob;
    const advert = (patch: Uint8Array): ReceivedAdvert => ({
      from: 'peer-b',
      advert: { kind: 'version', task: task.id, round: 1, hash: sha256(version), parent: sha256(genesis), bytes: version.byteLength, contributors: [{ peer: 'peer-c', delta: sha256(trained.blob), samples: trained.samples }], merged: [], patch: sha256(patch), sentAt: Date.now() },
    });
    const adoptedRound1 = (events: PeerEvent[]) => events.some((e) => e.type === 'adopted' && e.head.round === 1);

    const patched = await runPeer([version, made.patch!], async (inject, events) => {
      inject(advert(made.patch!));
      await until(() => adoptedRound1(events), 'adoption of round 1');
    }, sha256(version));
    expect(patched.fetched).toEqual([sha256(made.patch!)]);
    expect(patched.checkpoint).toMatchObject({ round: 1, head: sha256(version) });
    await rm(dir, { recursive: true, force: true });

    dir = await mkdtemp(join(tmpdir(), 'gossipfl-runtime-'));
    const warnings: string[] = [];
    const whole = await runPeer([version, other.patch!], async (inject, events) => {
      inject(advert(other.patch!)); // another version's patch: rebuilds the wrong bytes
      await until(() => adoptedRound1(events), 'adoption of round 1 after a bad patch');
      warnings.push(...events.flatMap((e) => (e.type === 'log' && e.level === 'warn' ? [e.message] : [])));
    }, sha256(version));
    expect(whole.fetched).toEqual([sha256(other.patch!), sha256(version)]);
    expect(warnings.some((w) => /patch .* unusable \(it rebuilds .*, not the advertised version\); pulling the whole version/.test(w))).toBe(true);
    expect(whole.checkpoint).toMatchObject({ round: 1, head: sha256(version) });
  });

  it('persists nothing on a version advert that claims the starting weights at round 2^53 − 2; the store starts again', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gossipfl-runtime-'));
    const genesis = (await learnerWithSeed(1)).genesisBlob(); // what the peer under test records as round 0
    const far = 2 ** 53 - 2;
    const forged: ReceivedAdvert = { from: 'peer-b', advert: { kind: 'version', task: task.id, round: far, hash: sha256(genesis), parent: 'cd'.repeat(32), bytes: genesis.byteLength, contributors: [{ peer: 'peer-b', delta: 'ef'.repeat(32), samples: 1 }], merged: [], sentAt: Date.now() } };
    const attacked = await runPeer([genesis], async (inject, events) => {
      inject(forged); // handled at once: our head's hash at another round is not our head's provenance
      expect(events.filter((e) => e.type === 'adopted' || e.type === 'finished')).toEqual([]);
    });
    expect(attacked.fetched).toEqual([]);
    expect(attacked.record).toMatchObject({ round: 0, parent: '' });
    expect(attacked.checkpoint?.round).toBe(0);
    const again = await runPeer([genesis], async () => {});
    expect(again.head.round).toBe(0);
  });

  it('refuses a version claimed for another round than its tag, so no record conflicts; resumes where it was', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gossipfl-runtime-'));
    const [a, b] = await Promise.all([learnerWithSeed(2), learnerWithSeed(3)]);
    const [blobA, blobB] = [asRound(a.genesisBlob(), 3), asRound(b.genesisBlob(), 5)];
    a.dispose();
    b.dispose();
    const version = (round: number, blob: Uint8Array, parent: string): ReceivedAdvert => ({
      from: 'peer-b',
      advert: { kind: 'version', task: task.id, round, hash: sha256(blob), parent, bytes: blob.byteLength, contributors: [{ peer: 'peer-b', delta: 'ef'.repeat(32), samples: 1 }], merged: [], sentAt: Date.now() },
    });
    const adopted = (events: PeerEvent[], round: number) => events.some((e) => e.type === 'adopted' && e.head.round === round);
    const run = await runPeer([blobA, blobB], async (inject, events) => {
      inject(version(3, blobA, 'ab'.repeat(32)));
      await until(() => adopted(events, 3), 'adoption of round 3');
      inject(version(5, blobB, sha256(blobA)));
      await until(() => adopted(events, 5), 'adoption of round 5');
      inject(version(9, blobA, 'cd'.repeat(32))); // the round-3 version again, claimed for round 9
      await until(() => events.some((e) => e.type === 'log' && e.message.startsWith(`could not use version ${sha256(blobA).slice(0, 12)}: the version is tagged round 3, advertised as round 9`)), 'the refused version');
      expect(events.some((e) => e.type === 'adopted' && e.head.round === 9)).toBe(false);
    }, sha256(blobA));
    expect(run.record).toMatchObject({ round: 3 });
    expect(run.checkpoint).toMatchObject({ round: 5, head: sha256(blobB) });
    const again = await runPeer([blobA, blobB], async () => {});
    expect(again.head).toMatchObject({ round: 5, hash: sha256(blobB) });
  });
});
