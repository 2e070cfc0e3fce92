import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../node/learn/backend.ts';
import { subset } from '../../node/learn/data/dataset.ts';
import { mnistSplit } from '../../node/learn/data/mnist.ts';
import { partition } from '../../node/learn/data/partition.ts';
import { ChurnSchedule } from '../../sim/core/churn.ts';
import { encodeWeights } from '../../node/learn/weights/index.ts';
import { consensusDistanceOf, simPeerId, simulate } from '../../sim/run.ts';
import { buildTopology } from '../../sim/topology/spec.ts';
import { testTask } from '../federation/helpers.ts';

async function scenario(seed: number) {
  await selectBackend();
  const { train, test } = await mnistSplit();
  const shards = partition({ kind: 'iid' }, train.labels.subarray(0, 1200), 10, 6, seed).map((rows, i) => subset(train, rows, `peer ${i}`));
  const task = testTask({ stopping: { rounds: 3 }, cohort: { fraction: 1, minPeers: 6 } });
  return simulate({ task, shards, test: subset(test, Array.from({ length: 500 }, (_, i) => i)), seed, latency: { kind: 'constant', ms: 20 } });
}

describe('the simulator runs the real round engine', () => {
  it('completes rounds in virtual time with every peer contributing, curators elected as on a real network', async () => {
    const run = await scenario(5);
    expect(run.rounds.map((r) => r.round)).toEqual([1, 2, 3]);
    for (const round of run.rounds) {
      expect([...round.contributors].sort()).toEqual([...run.peers].sort());
      expect(round.curator).toBeDefined();
    }
    expect(run.rounds[2]!.accuracy).toBeGreaterThan(0.6);
    // 200 samples at 2,000 samples/s = 100 ms of virtual training per round, plus latencies.
    expect(run.rounds[0]!.time).toBeGreaterThanOrEqual(100);
    expect(run.rounds[2]!.time).toBeLessThan(10_000);
    expect(run.logs.filter((l) => l.level === 'warn')).toEqual([]);
    // Each round the curator pulls 5 int8 deltas (~200 KB) and the 5 others the new version's
    // f16 patch (~399 KB), rebuilding the f32 version (~797 KB) from the one they hold; its two
    // auditors (§7.15) pull the 4 deltas each does not hold (its own it has).
    const perRound = run.rounds[2]!.bytesPerPeer / 3;
    expect(perRound).toBeGreaterThan(((5 * 199_000 + 5 * 398_000) / 6) * 0.95);
    expect(perRound).toBeLessThan((5 * 199_000 + 5 * 398_000 + 2 * 4 * 199_000) / 6 * 1.05);
    expect(run.rounds[2]!.messages).toBeGreaterThan(run.rounds[0]!.messages);
    expect(run.rounds[2]!.failedTransfers).toBe(0);
    expect(run.rounds.map((r) => r.consensusDistance)).toEqual([0, 0, 0]);
    // Every round records the median norm of the deltas its honest peers trained.
    for (const round of run.rounds) expect(round.honestDeltaNorm).toBeGreaterThan(0);
  });

  it('replays identically from the same seed', async () => {
    const [a, b] = [await scenario(9), await scenario(9)];
    expect(b.rounds.map((r) => [r.hash, r.curator, r.time])).toEqual(a.rounds.map((r) => [r.hash, r.curator, r.time]));
  });

  it('runs gossip mode over a ring topology: no curator, and every peer improves', async () => {
    await selectBackend();
    const { train, test } = await mnistSplit();
    const shards = partition({ kind: 'iid' }, train.labels.subarray(0, 1200), 10, 6, 2).map((rows, i) => subset(train, rows, `peer ${i}`));
    const task = testTask({ mode: 'gossip', stopping: { rounds: 4 }, timing: { collectionWindowMs: 1000, curatorDeadlineMs: 2000, maxBlobBytes: 16 * 1024 * 1024 } });
    const run = await simulate({ task, shards, test: subset(test, Array.from({ length: 500 }, (_, i) => i)), seed: 2, topology: buildTopology({ kind: 'ring', k: 1 }, 6, 2) });
    expect(run.rounds.map((r) => r.round)).toEqual([1, 2, 3, 4]);
    expect(run.rounds[3]!.peerAccuracy.min).toBeGreaterThan(0.6);
    expect(run.rounds[3]!.peerAccuracy.mean).toBeGreaterThan(run.rounds[0]!.peerAccuracy.mean);
    for (const round of run.rounds) expect(round.consensusDistance).toBeGreaterThan(0);
    expect(run.logs.filter((l) => l.message.includes('aggregating'))).toEqual([]);
  });

  it('takes churn: a peer that crashes misses rounds, then resumes from its checkpoint and contributes again', async () => {
    await selectBackend();
    const { train, test } = await mnistSplit();
    const shards = partition({ kind: 'iid' }, train.labels.subarray(0, 1200), 10, 6, 4).map((rows, i) => subset(train, rows, `peer ${i}`));
    const task = testTask({ stopping: { rounds: 6 }, cohort: { fraction: 1, minPeers: 6 }, timing: { collectionWindowMs: 2000, curatorDeadlineMs: 3000, maxBlobBytes: 16 * 1024 * 1024 } });
    const peers = shards.map((_, i) => simPeerId(i));
    const crashed = peers[3]!;
    const churn = ChurnSchedule.build(peers, { kind: 'always-on' }, { horizonMs: 60_000 }).crashAt(crashed, 150).restartAt(crashed, 5_000);
    const run = await simulate({ task, shards, test: subset(test, Array.from({ length: 300 }, (_, i) => i)), seed: 4, churn });
    expect(run.rounds.map((r) => r.round)).toEqual([1, 2, 3, 4, 5, 6]);
    const without = run.rounds.filter((r) => !r.contributors.includes(crashed));
    const withAgain = run.rounds.filter((r) => r.time > 5_000 && r.contributors.includes(crashed));
    expect(without.length).toBeGreaterThan(0);
    for (const round of without) expect(round.contributors).toHaveLength(5);
    expect(withAgain.length).toBeGreaterThan(0);
    expect(run.logs.some((l) => l.peer === crashed && l.message.startsWith('resuming at round'))).toBe(true);
  });
});

describe('consensus distance', () => {
  it('is the root mean squared distance of the peers\u2019 weights from their mean', async () => {
    const manifest = { tensors: [{ name: 'w', shape: [2], dtype: 'float32' as const }] };
    const blobs = new Map([
      ['a', encodeWeights({ manifest, values: Float32Array.from([0, 0]) }, 'f32')],
      ['b', encodeWeights({ manifest, values: Float32Array.from([2, 0]) }, 'f32')],
    ]);
    // Heads a, a, b: mean (2/3, 0); squared distances 4/9, 4/9, 16/9 → mean 8/9.
    expect(consensusDistanceOf(['a', 'a', 'b'], (h) => blobs.get(h)!, 2)).toBeCloseTo(Math.sqrt(8 / 9), 10);
    expect(consensusDistanceOf(['a', 'a'], (h) => blobs.get(h)!, 2)).toBe(0);
  });
});
