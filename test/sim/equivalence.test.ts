import { afterEach, describe, expect, it } from 'vitest';
import { advertTopic } from '../../protocols/adverts/index.ts';
import { waitForSubscribers } from '../../node/host/wait.ts';
import { subset } from '../../node/learn/data/dataset.ts';
import { Learner } from '../../node/peer/learner.ts';
import type { Peer } from '../../node/peer/peer.ts';
import { simulate } from '../../sim/run.ts';
import { seededKey, testFederation, testTask, waitFor, type TestFederation } from '../federation/helpers.ts';

let federation: TestFederation | undefined;

afterEach(async () => {
  await federation?.close();
  federation = undefined;
});

/**
 * "The simulator drives the same engine": 6 peers with the same ids, data and task, once over
 * real libp2p on loopback and once in the simulator with no loss and no latency, elect the same
 * curators, aggregate the same contributors and end with the same accuracy.
 */
describe('simulator vs real network', () => {
  it('gives the same curators, contributors and accuracies as real libp2p peers', async () => {
    const task = testTask({ stopping: { rounds: 3 }, cohort: { fraction: 1, minPeers: 6 } });
    federation = await testFederation(6, 200, task);
    const world = federation;
    const peers: Peer[] = [];
    for (let i = 0; i < 6; i++) peers.push(await world.start(i, { autoStart: false }));
    await Promise.all(peers.map((peer) => waitForSubscribers(peer.host.services.pubsub, advertTopic(task.id), 5, AbortSignal.timeout(20_000))));
    await Promise.all(peers.map((peer) => peer.start()));
    await waitFor(world, () => world.commonRound() >= 3, 90_000, 'every real peer at round 3');
    const checkpoint = (await peers[0]!.store.checkpoint.load())!;
    const real = (await peers[0]!.store.versions.history(checkpoint.head)).versions.filter((v) => v.round >= 1).reverse();
    const test = subset(world.test, Array.from({ length: 500 }, (_, i) => i));
    const judge = await Learner.create({ task, model: { kind: 'preset', preset: 'mlp' }, shape: { featureCount: 784, classCount: 10 }, data: test, seed: 'judge' });
    const realAccuracy: number[] = [];
    for (const version of real) realAccuracy.push(judge.evaluate((await peers[0]!.store.blobs.get(version.hash))!, test).accuracy);
    judge.dispose();

    const simulated = await simulate({ task, shards: world.shards, test, seed: 1, peerKeys: await Promise.all(peers.map((_, i) => seededKey(i))) });

    expect(real.map((v) => v.round)).toEqual([1, 2, 3]);
    expect(simulated.rounds.map((r) => r.curator)).toEqual(real.map((v) => v.curator));
    expect(simulated.rounds.map((r) => [...r.contributors].sort())).toEqual(real.map((v) => v.contributors.map((c) => c.peer).sort()));
    simulated.rounds.forEach((round, i) => expect(Math.abs(round.accuracy - realAccuracy[i]!)).toBeLessThanOrEqual(0.01));
    // Same engine, same deterministic training: the very same version bytes.
    expect(simulated.rounds.map((r) => r.hash)).toEqual(real.map((v) => v.hash));
  });
});
