import { afterEach, describe, expect, it } from 'vitest';
import { Learner } from '../../node/peer/learner.ts';
import { MNIST_SCHEMA } from '../../node/learn/data/mnist.ts';
import { curatorRanking } from '../../node/round/election.ts';
import { testFederation, testTask, waitFor, type TestFederation } from './helpers.ts';

let federation: TestFederation | undefined;

afterEach(async () => {
  await federation?.close();
  federation = undefined;
});

async function accuracyOf(world: TestFederation, hash: string): Promise<number> {
  const holder = world.peers.find((peer) => peer.runtime.engine.head !== undefined)!;
  const blob = (await holder.store.blobs.get(hash))!;
  const judge = await Learner.create({
    task: world.task,
    model: { kind: 'preset', preset: 'mlp' },
    shape: { featureCount: 784, classCount: MNIST_SCHEMA.classes.length },
    data: world.test,
    seed: 'judge',
  });
  try {
    return judge.evaluate(blob, world.test).accuracy;
  } finally {
    judge.dispose();
  }
}

describe('a federation of real peers on loopback', () => {
  it('runs rounds with rotating curators and rising accuracy', async () => {
    federation = await testFederation(5, 300, testTask({ cohort: { fraction: 1, minPeers: 5 } }));
    for (let i = 0; i < 5; i++) await federation.start(i);
    const world = federation;
    await waitFor(world, () => world.commonRound() >= 3, 90_000, 'every peer at round 3');

    const checkpoint = (await world.peers[0]!.store.checkpoint.load())!;
    const history = await world.peers[0]!.store.versions.history(checkpoint.head);
    const genesis = history.versions.at(-1)!;
    expect(genesis.round).toBe(0);
    expect(history.complete).toBe(true);
    const rounds = history.versions.filter((v) => v.round >= 1 && v.round <= 3);
    expect(rounds.map((v) => v.round).sort()).toEqual([1, 2, 3]);
    for (const version of rounds) expect(version.contributors).toHaveLength(5);
    for (const version of rounds) {
      expect(version.curator).toBe(curatorRanking(version.round, version.parent, world.peers.map((peer) => peer.id))[0]);
    }
    expect(new Set(rounds.map((v) => v.curator)).size).toBeGreaterThan(1);

    const round3 = rounds.find((v) => v.round === 3)!;
    const before = await accuracyOf(world, genesis.hash);
    const after = await accuracyOf(world, round3.hash);
    expect(after).toBeGreaterThan(before + 0.3);
    expect(world.peers.every((peer) => peer.traffic.fetched > 0)).toBe(true);
    expect(world.events.filter(({ event }) => event.type === 'rejected')).toEqual([]);
  });

  it('stops once a curator measures the target accuracy on its held-out data', async () => {
    federation = await testFederation(3, 300, testTask({ stopping: { rounds: 20, targetAccuracy: 0.85 }, cohort: { fraction: 1, minPeers: 3 } }));
    for (let i = 0; i < 3; i++) await federation.start(i);
    const world = federation;
    const finished = () => new Set(world.events.filter(({ event }) => event.type === 'finished').map(({ peer }) => peer));
    await waitFor(world, () => finished().size === 3, 90_000, 'every peer finished');
    const head = world.peers[0]!.runtime.engine.head!;
    expect(head.round).toBeGreaterThan(1);
    expect(head.round).toBeLessThan(20);
    expect(head.metrics!.accuracy).toBeGreaterThanOrEqual(0.85);
    expect(head.metrics!.samples).toBe(30); // 10% of the curator's 300 digits
    for (const peer of world.peers) expect(peer.runtime.engine.head!.hash).toBe(head.hash);
    // 'finished' comes from the engine; the version record is written in the background, and
    // 'adopted' is emitted once it is.
    const first = world.peers[0]!;
    await waitFor(world, () => world.events.some(({ peer, event }) => peer === first.id && event.type === 'adopted' && event.head.hash === head.hash && event.head.metrics !== undefined), 10_000, 'the final version recorded with its metrics');
    const record = await first.store.versions.get(head.hash);
    expect(record?.metrics?.accuracy).toBe(head.metrics!.accuracy);
  });
});
