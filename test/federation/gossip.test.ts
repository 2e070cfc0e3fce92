import { afterEach, describe, expect, it } from 'vitest';
import { Learner } from '../../node/peer/learner.ts';
import { testFederation, testTask, waitFor, type TestFederation } from './helpers.ts';

let federation: TestFederation | undefined;

afterEach(async () => {
  await federation?.close();
  federation = undefined;
});

describe('gossip mode over real peers on loopback', () => {
  it('every peer improves its own model by pulling and merging its neighbours', async () => {
    const task = testTask({ mode: 'gossip', timing: { collectionWindowMs: 1500, curatorDeadlineMs: 3000, maxBlobBytes: 16 * 1024 * 1024 } });
    federation = await testFederation(3, 300, task);
    for (let i = 0; i < 3; i++) await federation.start(i);
    const world = federation;
    await waitFor(world, () => world.commonRound() >= 3, 60_000, 'three update cycles on every peer');

    const judge = await Learner.create({ task, model: { kind: 'preset', preset: 'mlp' }, shape: { featureCount: 784, classCount: 10 }, data: world.test, seed: 'judge' });
    try {
      const genesis = judge.genesisBlob();
      const before = judge.evaluate(genesis, world.test).accuracy;
      for (const peer of world.peers) {
        const checkpoint = (await peer.store.checkpoint.load())!;
        const after = judge.evaluate((await peer.store.blobs.get(checkpoint.head))!, world.test).accuracy;
        expect(after).toBeGreaterThan(before + 0.3);
        // Each pulled at least one neighbour's model; nobody curated.
        expect(peer.traffic.fetched).toBeGreaterThan(0);
        expect((await peer.store.versions.get(checkpoint.head))?.contributors).toEqual([]);
      }
      expect(world.events.some(({ event }) => event.type === 'log' && event.message.includes('aggregating'))).toBe(false);
    } finally {
      judge.dispose();
    }
  });
});
