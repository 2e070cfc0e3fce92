import { describe, expect, it } from 'vitest';
import { simulate } from '../../sim/run.ts';
import { SyntheticBlobError, syntheticLearning, syntheticWireSize } from '../../sim/peer/synthetic-learning.ts';
import { buildTopology } from '../../sim/topology/spec.ts';
import { testTask } from '../federation/helpers.ts';

const DELTA_BYTES = 200_000;
const VERSION_BYTES = 800_000;

function protocolOnly(peers: number) {
  return { peers, deltaBytes: DELTA_BYTES, versionBytes: VERSION_BYTES, samplesPerPeer: 100 };
}

describe('protocol-only simulation (synthetic deltas, no training)', () => {
  it('runs curator rounds in which every peer contributes, moving the declared sizes', async () => {
    const task = testTask({ stopping: { rounds: 3 }, cohort: { fraction: 1, minPeers: 20 } });
    const run = await simulate({ task, protocolOnly: protocolOnly(20), seed: 3, latency: { kind: 'constant', ms: 10 } });
    expect(run.rounds.map((r) => r.round)).toEqual([1, 2, 3]);
    for (const round of run.rounds) {
      expect(round.contributors).toHaveLength(20);
      expect(round.curator).toBeDefined();
      expect(round.accuracy).toBeNaN();
      expect(round.consensusDistance).toBe(0);
    }
    expect(new Set(run.rounds.map((r) => r.hash)).size).toBe(3);
    // Per round: the curator pulls 19 deltas of 200 kB, the 19 others the version's 400 kB (f16)
    // patch instead of the 800 kB version.
    const perRound = run.rounds[2]!.bytesPerPeer / 3;
    expect(perRound).toBeGreaterThan(((19 * DELTA_BYTES + 19 * (VERSION_BYTES / 2)) / 20) * 0.95);
    expect(perRound).toBeLessThan((19 * DELTA_BYTES + 19 * VERSION_BYTES) / 20);
    // 100 samples at 2,000 samples/s: 50 ms of modelled training per round.
    expect(run.rounds[0]!.time).toBeGreaterThanOrEqual(50);
    expect(run.logs.filter((l) => l.level === 'warn')).toEqual([]);
    // With a constant latency each publish is delivered to all 19 others by one scheduler event.
    expect(run.events).toBeLessThan(run.rounds[2]!.messages / 2);
  });

  it('declared sizes cost transfer time: a 1 MB/s link makes rounds slower by the bytes moved', async () => {
    const task = testTask({ stopping: { rounds: 2 }, cohort: { fraction: 1, minPeers: 5 } });
    const fast = await simulate({ task, protocolOnly: protocolOnly(5), seed: 1 });
    const slow = await simulate({ task, protocolOnly: protocolOnly(5), seed: 1, uploadBps: 1_000_000, downloadBps: 1_000_000 });
    // Per round the curator downloads 4 deltas of 200 kB and uploads 4 patches of 400 kB: at
    // least 0.8 s and 1.6 s that the unlimited network does not pay.
    expect(slow.rounds[1]!.time - fast.rounds[1]!.time).toBeGreaterThan(2 * 800);
  });

  it('runs gossip mode over a sparse topology with 300 peers', async () => {
    const task = testTask({ mode: 'gossip', stopping: { rounds: 3 }, timing: { collectionWindowMs: 1000, curatorDeadlineMs: 2000, maxBlobBytes: 16 * 1024 * 1024 } });
    const run = await simulate({ task, protocolOnly: protocolOnly(300), seed: 4, topology: buildTopology({ kind: 'random-regular', k: 7 }, 300, 4) });
    expect(run.rounds.map((r) => r.round)).toEqual([1, 2, 3]);
    // Every peer trains its own model: heads differ, and each peer pulled about one version per round.
    expect(run.rounds[0]!.consensusDistance).toBeNaN();
    expect(run.rounds[2]!.bytesPerPeer).toBeGreaterThan(2 * VERSION_BYTES);
  });

  it('checks its tokens: wrong blobs are rejected with a reason, bad sizes refused up front', async () => {
    const learner = syntheticLearning(protocolOnly(2)).learner(0, 'a');
    const genesis = learner.genesisBlob();
    expect(syntheticWireSize(genesis)).toBe(VERSION_BYTES);
    expect(() => learner.checkVersion(new Uint8Array(10))).toThrow(SyntheticBlobError);
    const delta = await learner.train(genesis, 1);
    expect(syntheticWireSize(delta.blob)).toBe(DELTA_BYTES);
    expect(() => learner.checkVersion(delta.blob)).toThrow(/not a synthetic version/);
    const result = learner.aggregate(genesis, [
      { from: 'a', blob: delta.blob, samples: 100 },
      { from: 'b', blob: genesis, samples: 100 },
    ]);
    expect(result.accepted.map((d) => d.from)).toEqual(['a']);
    expect(result.rejected).toEqual([{ from: 'b', reason: 'the delta from b is not a synthetic delta' }]);
    expect(() => syntheticLearning({ ...protocolOnly(2), deltaBytes: 0 })).toThrow(/deltaBytes must be a whole number/);
  });
});

describe('curator failover in the simulator', () => {
  it('crashes the aggregating curator in the drawn rounds; a standby completes each of them and the crashed peer comes back', async () => {
    const task = testTask({ stopping: { rounds: 6 }, cohort: { fraction: 1, minPeers: 8 }, timing: { collectionWindowMs: 1000, curatorDeadlineMs: 2000, maxBlobBytes: 16 * 1024 * 1024 } });
    const run = await simulate({ task, protocolOnly: protocolOnly(8), seed: 7, curatorCrash: { probability: 0.5, downMs: 5000 } });
    expect(run.rounds.map((r) => r.round)).toEqual([1, 2, 3, 4, 5, 6]);
    const crashed = run.rounds.filter((r) => r.curatorCrashed);
    expect(crashed.length).toBeGreaterThan(0);
    expect(crashed.length).toBeLessThan(6);
    const crashLogs = run.logs.filter((l) => l.message.includes('crashes as it begins aggregating'));
    expect(crashLogs).toHaveLength(crashed.length);
    for (const round of crashed) {
      const victim = crashLogs.find((l) => l.message.startsWith(`round ${round.round}:`))!.peer;
      // The version of a crashed round comes from someone else, a standby taking over its slot.
      expect(round.curator).not.toBe(victim);
      expect(round.contributors.length).toBeGreaterThan(0);
    }
    // Rounds without a crash close early, before the first standby slot (1 s window + 2 s deadline).
    const calm = run.rounds.filter((r, i) => !r.curatorCrashed && (i === 0 || !run.rounds[i - 1]!.curatorCrashed));
    expect(calm.length).toBeGreaterThan(0);
    // The crashed peers restarted: the last round's contributors are all 8 peers again, or the round
    // came right after a crash.
    const last = run.rounds.at(-1)!;
    if (!last.curatorCrashed) expect(last.contributors.length).toBeGreaterThanOrEqual(7);
  });
});
