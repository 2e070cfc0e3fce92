/**
 * Robust rules in a federation of real peers on loopback: rounds go on with a stateless rule
 * (median: versions travel as patches) and a stateful one (centered clipping: its centre travels
 * in the version), accuracy rises, and an outside auditor recomputes each version bit for bit
 * from its parent and the deltas its record lists.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MNIST_SCHEMA } from '../../node/learn/data/mnist.ts';
import { Learner } from '../../node/peer/learner.ts';
import { testFederation, testTask, waitFor, type TestFederation } from './helpers.ts';

let federation: TestFederation | undefined;

afterEach(async () => {
  await federation?.close();
  federation = undefined;
});

async function blobFrom(world: TestFederation, hash: string): Promise<Uint8Array> {
  for (const peer of world.peers) {
    const blob = await peer.store.blobs.get(hash);
    if (blob !== undefined) return blob;
  }
  throw new Error(`no peer holds ${hash}`);
}

describe('robust aggregation rules between real peers', () => {
  for (const aggregation of [{ strategy: 'median' }, { strategy: 'centered-clipping', clipRadius: 2, iterations: 2 }]) {
    it(`${aggregation.strategy}: rounds go on, accuracy rises, and every version is recomputable from its record`, async () => {
      federation = await testFederation(4, 300, testTask({ cohort: { fraction: 1, minPeers: 4 }, aggregation }));
      for (let i = 0; i < 4; i++) await federation.start(i);
      const world = federation;
      await waitFor(world, () => world.commonRound() >= 3, 90_000, 'every peer at round 3');
      expect(world.events.filter(({ event }) => event.type === 'rejected')).toEqual([]);

      const checkpoint = (await world.peers[0]!.store.checkpoint.load())!;
      const history = (await world.peers[0]!.store.versions.history(checkpoint.head)).versions;
      const auditor = await Learner.create({
        task: world.task,
        model: { kind: 'preset', preset: 'mlp' },
        shape: { featureCount: 784, classCount: MNIST_SCHEMA.classes.length },
        data: world.test,
        seed: 'auditor',
      });
      try {
        const accuracy = async (hash: string) => auditor.evaluate(await blobFrom(world, hash), world.test).accuracy;
        const genesis = history.find((v) => v.round === 0)!;
        const round3 = history.find((v) => v.round === 3)!;
        expect(await accuracy(round3.hash)).toBeGreaterThan((await accuracy(genesis.hash)) + 0.3);
        for (const version of history.filter((v) => v.round >= 1 && v.merged.length === 0)) {
          expect(version.contributors).toHaveLength(4);
          const deltas = await Promise.all(version.contributors.map(async (c) => ({ from: c.peer, blob: await blobFrom(world, c.delta), samples: c.samples })));
          const recomputed = auditor.aggregate(await blobFrom(world, version.parent), deltas);
          expect(Buffer.from(recomputed.blob).equals(Buffer.from(await blobFrom(world, version.hash)))).toBe(true);
        }
      } finally {
        auditor.dispose();
      }
    });
  }
});
