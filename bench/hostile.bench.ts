/**
 * Rounds per minute of a small real federation, clean and under each of issue 11's attacks by one
 * hostile member (test/support/hostile-peer.ts), each against the faster of two clean runs in the
 * same run (one before the attacks, one after); plus the process RSS over time under the advert flood.
 *
 * Every scenario is a fresh federation in this process: 3 honest peers on loopback (real libp2p
 * hosts, TF.js `mlp` on 100 real MNIST digits each, real stores; test/federation/helpers.ts), task
 * window 4 s, curator deadline 10 s, cohort fraction 1, minPeers 3, int8 deltas, fedavg. Once every
 * honest peer holds round 1 the hostile peer joins and starts its attack; after a warm-up the
 * interval is measured.
 *
 * Rounds/min: for each honest peer, the distinct versions it adopted during the measured interval
 * (from its `adopted` events, in order of arrival) that an honest peer made — an aggregate, not a
 * merge, whose curator is not the hostile peer, of a round below 10^6 — divided by the interval in
 * minutes; the figure is the mean over the 3 honest peers. Adopting the attacker's version counts
 * for nothing.
 */
import { loadavg } from 'node:os';
import { hashBytes } from '../node/store/blobs.ts';
import type { Head } from '../node/round/events.ts';
import { addressesOf, ghostHash, HostilePeer, nanVersion, versionFlood, zeroDelta, type HonestView } from '../test/support/hostile-peer.ts';
import { testFederation, testTask, waitFor, type TestFederation } from '../test/federation/helpers.ts';
import { MiB, round } from './measure.ts';
import type { Bench, BenchOptions, BenchResult } from './types.ts';

const HONEST_PEERS = 3;
const DIGITS_PER_PEER = 100;
const WINDOW_MS = 4000;
const DEADLINE_MS = 10_000;
const GOAL_RATIO = 0.5;
/** Rounds at or above this were put there by the attacker. */
const IMPLAUSIBLE_ROUND = 1_000_000;
const FLOOD_ADVERTS = 1200;

const ATTACKS = ['idle member', 'blob never served', 'ghost delta', 'slow trickle', 'NaN version', 'round-jump version', 'advert flood'] as const;
type Attack = (typeof ATTACKS)[number];
type Scenario = 'clean' | Attack;

interface ScenarioFigures {
  readonly scenario: Scenario;
  /** 1-minute load average when the scenario started (the machine is shared). */
  readonly loadAverage: number;
  readonly measuredSeconds: number;
  /** Mean over honest peers of honest versions adopted per minute. */
  readonly roundsPerMinute: number;
  /** Honest versions adopted in the interval, per honest peer. */
  readonly honestVersions: readonly number[];
  /** Adoptions of the attacker's versions (or of attacker-made round numbers) during the whole scenario. */
  readonly hostileAdoptions: number;
  /** Honest peers that reported `finished`. */
  readonly finished: number;
  /** Blob requests the hostile peer received. */
  readonly hostileRequests: number;
  /** roundsPerMinute / clean roundsPerMinute (absent for clean). */
  readonly ratio?: number;
}

interface Timings {
  readonly warmupMs: number;
  readonly measureMs: number;
  readonly floodAdverts: number;
}

function isHonestVersion(head: Head, hostile: string): boolean {
  return head.merged.length === 0 && head.curator !== undefined && head.curator !== hostile && head.round < IMPLAUSIBLE_ROUND;
}

/** Sets the attack going; returns what stops its timers and listeners (the peer's `stop` ends the rest). */
function startAttack(attack: Attack, attacker: HostilePeer, genesis: Uint8Array, timings: Timings): () => void {
  const everyRound = (act: (view: HonestView) => void): (() => void) => {
    const off = attacker.onRound(act);
    act(attacker.view!);
    return off;
  };
  const publish = (advert: Parameters<HostilePeer['publish']>[0]) => void attacker.publish(advert).catch(() => {});
  const contributor = (label: string) => [{ peer: attacker.id, delta: ghostHash(label), samples: DIGITS_PER_PEER }];
  switch (attack) {
    case 'idle member':
      attacker.startPresence(300);
      return () => {};
    case 'blob never served':
      return everyRound((view) => {
        const hash = ghostHash(`version ${view.round + 1}`);
        attacker.serve(hash, { kind: 'never' });
        publish({ kind: 'version', round: view.round + 1, hash, parent: view.head, bytes: genesis.byteLength, contributors: contributor(hash), merged: [] });
      });
    case 'ghost delta':
      attacker.startPresence(300);
      return everyRound((view) => {
        const delta = ghostHash(`delta ${view.round + 1}`);
        attacker.serve(delta, { kind: 'never' });
        publish({ kind: 'delta', round: view.round + 1, base: view.head, delta, bytes: 200_000, samples: DIGITS_PER_PEER, metrics: { loss: 0.1, accuracy: 0.9 } });
      });
    case 'slow trickle': {
      // A real delta (all zeros), served 1 KiB every 200 ms: 5 KiB/s, ~40 s for its 200 kB.
      attacker.startPresence(300);
      const delta = zeroDelta(genesis, 'int8');
      return everyRound((view) => {
        // A distinct blob hash per round would need distinct bytes; the same zero delta is fine: honest peers pull it again each round until they hold it.
        attacker.serve(hashBytes(delta), { kind: 'trickle', bytes: delta, chunkBytes: 1024, intervalMs: 200 });
        publish({ kind: 'delta', round: view.round + 1, base: view.head, delta: hashBytes(delta), bytes: delta.byteLength, samples: DIGITS_PER_PEER, metrics: { loss: 0.1, accuracy: 0.9 } });
      });
    }
    case 'NaN version': {
      const poisoned = nanVersion(genesis);
      const hash = hashBytes(poisoned);
      attacker.serve(hash, { kind: 'bytes', bytes: poisoned });
      return everyRound((view) => publish({ kind: 'version', round: view.round + 1, hash, parent: view.head, bytes: poisoned.byteLength, contributors: contributor(`nan ${view.round}`), merged: [] }));
    }
    case 'round-jump version': {
      const hash = hashBytes(genesis);
      attacker.serve(hash, { kind: 'bytes', bytes: genesis });
      return everyRound((view) => publish({ kind: 'version', round: 2 ** 53 - 2, hash, parent: view.head, bytes: genesis.byteLength, contributors: contributor(`jump ${view.round}`), merged: [] }));
    }
    case 'advert flood': {
      const versions = versionFlood(genesis, timings.floodAdverts);
      for (const { hash, make } of versions) attacker.serve(hash, { kind: 'lazy', size: genesis.byteLength, make });
      const view = attacker.view!;
      void attacker
        .publishMany(versions.length, (i) => ({ kind: 'version', round: view.round + 1, hash: versions[i]!.hash, parent: view.head, bytes: genesis.byteLength, contributors: contributor(`flood ${i}`), merged: [] }))
        .catch(() => {});
      return () => {};
    }
    default: {
      const unknown: never = attack;
      throw new Error(`unknown attack ${String(unknown)}`);
    }
  }
}

/** Resolves after `ms` (a benchmark's measured interval is wall-clock time by definition). */
function elapse(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function runScenario(
  scenario: Scenario,
  timings: Timings,
  log: (line: string) => void,
  onRss?: (sample: { readonly seconds: number; readonly rssMiB: number }) => void,
): Promise<ScenarioFigures> {
  const loadAverage = loadavg()[0] ?? 0;
  const task = testTask({
    stopping: { rounds: 100_000 },
    cohort: { fraction: 1, minPeers: HONEST_PEERS },
    timing: { collectionWindowMs: WINDOW_MS, curatorDeadlineMs: DEADLINE_MS, maxBlobBytes: 16 * MiB },
  });
  const world: TestFederation = await testFederation(HONEST_PEERS, DIGITS_PER_PEER, task);
  let attacker: HostilePeer | undefined;
  let stopAttack = () => {};
  let sampler: ReturnType<typeof setInterval> | undefined;
  try {
    for (let i = 0; i < HONEST_PEERS; i++) await world.start(i);
    await waitFor(world, () => world.commonRound() >= 1, 60_000, 'every honest peer at round 1');
    attacker = await HostilePeer.start({ task, bootstrap: addressesOf(world.peers) });
    await attacker.waitForSubscribers(world.peers.map((peer) => peer.id));
    await attacker.waitForView();
    const began = performance.now();
    if (onRss !== undefined) {
      const sample = () => onRss({ seconds: round((performance.now() - began) / 1000, 3), rssMiB: round(process.memoryUsage().rss / MiB, 4) });
      sample();
      sampler = setInterval(sample, 1000);
    }
    if (scenario !== 'clean') stopAttack = startAttack(scenario, attacker, world.peers[0]!.learner.genesisBlob(), timings);
    await elapse(timings.warmupMs);
    const from = world.events.length;
    const startedAt = performance.now();
    await elapse(timings.measureMs);
    const measuredSeconds = (performance.now() - startedAt) / 1000;
    const interval = world.events.slice(from);
    const hostileId = attacker.id;
    const honestVersions = world.peers.map(
      (peer) => new Set(interval.flatMap(({ peer: who, event }) => (who === peer.id && event.type === 'adopted' && isHonestVersion(event.head, hostileId) ? [event.head.hash] : []))).size,
    );
    const roundsPerMinute = honestVersions.reduce((a, b) => a + b, 0) / honestVersions.length / (measuredSeconds / 60);
    const hostileAdoptions = world.events.filter(({ event }) => event.type === 'adopted' && (event.head.curator === hostileId || event.head.round >= IMPLAUSIBLE_ROUND)).length;
    const finished = new Set(world.events.flatMap(({ peer, event }) => (event.type === 'finished' ? [peer] : []))).size;
    const hostileRequests = [...attacker.requests.values()].reduce((a, b) => a + b, 0);
    log(`${scenario}: ${round(roundsPerMinute, 3)} rounds/min (honest versions per peer ${honestVersions.join('/')}, ${hostileAdoptions} hostile adoptions, ${finished} finished, load ${loadAverage.toFixed(2)})`);
    return { scenario, loadAverage: round(loadAverage, 3), measuredSeconds: round(measuredSeconds, 4), roundsPerMinute: round(roundsPerMinute, 4), honestVersions, hostileAdoptions, finished, hostileRequests };
  } finally {
    if (sampler !== undefined) clearInterval(sampler);
    stopAttack();
    await attacker?.stop();
    await world.close();
  }
}

const bench: Bench = {
  name: 'hostile',
  description: 'Rounds/min of 3 honest peers on loopback, clean and under each attack of one hostile member; RSS under an advert flood',
  async run({ smoke, log }: BenchOptions): Promise<BenchResult> {
    const timings: Timings = smoke ? { warmupMs: 500, measureMs: 2000, floodAdverts: 100 } : { warmupMs: 5000, measureMs: 30_000, floodAdverts: FLOOD_ADVERTS };
    const attacks: readonly Attack[] = smoke ? ['idle member', 'advert flood'] : ATTACKS;
    const loadAtStart = loadavg();
    // Clean before and after the attacks (the first federation of the process also warms TF.js up,
    // and the machine's load drifts); each attack is compared with the faster of the two.
    const cleanFirst = await runScenario('clean', timings, log);
    const rss: { seconds: number; rssMiB: number }[] = [];
    const attacked: ScenarioFigures[] = [];
    for (const attack of attacks) attacked.push(await runScenario(attack, timings, log, attack === 'advert flood' ? (sample) => rss.push(sample) : undefined));
    const cleanLast = await runScenario('clean', timings, log);
    const clean = cleanLast.roundsPerMinute > cleanFirst.roundsPerMinute ? cleanLast : cleanFirst;
    const underAttack = attacked.map((figures) => ({ ...figures, ratio: clean.roundsPerMinute > 0 ? round(figures.roundsPerMinute / clean.roundsPerMinute, 3) : 0 }));
    const loadAtEnd = loadavg();
    const rssBase = rss[0]?.rssMiB ?? 0;
    const rssPeak = Math.max(rssBase, ...rss.map((sample) => sample.rssMiB));
    const row = (label: string, s: ScenarioFigures) => [label, s.roundsPerMinute, s.ratio ?? round(s.roundsPerMinute / clean.roundsPerMinute, 3), s.honestVersions.join('/'), s.hostileAdoptions, s.finished, s.hostileRequests, s.loadAverage];
    return {
      summary:
        `${HONEST_PEERS} honest peers (mlp, ${DIGITS_PER_PEER} MNIST digits each, window ${WINDOW_MS / 1000} s, deadline ${DEADLINE_MS / 1000} s) and one hostile member; ` +
        `rounds/min = honest-made versions each honest peer adopted in ${timings.measureMs / 1000} s after a ${timings.warmupMs / 1000} s warm-up from the attack's start, mean over peers; ` +
        `load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')} at start, ${loadAtEnd.map((l) => l.toFixed(2)).join(' ')} at end.`,
      tables: [
        {
          title: 'Rounds per minute, clean and under attack (each scenario a fresh federation)',
          columns: ['scenario', 'rounds/min', '× clean', 'honest versions per peer', 'hostile adoptions', 'finished peers', 'blob requests to attacker', 'load'],
          rows: [row('clean (first)', cleanFirst), ...underAttack.map((s) => row(s.scenario, s)), row('clean (last)', cleanLast)],
        },
        {
          title: `Process RSS under the advert flood (${timings.floodAdverts} version adverts at t = 0; 3 honest peers and the attacker in one process)`,
          columns: ['seconds', 'RSS MiB', 'over t = 0 MiB'],
          rows: rss.map((sample) => [sample.seconds, sample.rssMiB, round(sample.rssMiB - rssBase, 4)]),
        },
      ],
      figures: {
        honestPeers: HONEST_PEERS,
        digitsPerPeer: DIGITS_PER_PEER,
        collectionWindowMs: WINDOW_MS,
        curatorDeadlineMs: DEADLINE_MS,
        warmupMs: timings.warmupMs,
        measureMs: timings.measureMs,
        floodAdverts: timings.floodAdverts,
        loadAverageStart: loadAtStart.map((l) => round(l, 3)),
        loadAverageEnd: loadAtEnd.map((l) => round(l, 3)),
        cleanFirst,
        cleanLast,
        baseline: clean === cleanFirst ? 'clean (first)' : 'clean (last)',
        attacks: underAttack,
        floodRss: { samples: rss, baselineMiB: rssBase, peakMiB: rssPeak, growthMiB: round(rssPeak - rssBase, 4) },
      },
      goals: [
        ...underAttack.map((s) => ({
          goal: `${s.scenario}: ≥ ${GOAL_RATIO}× the clean rounds/min`,
          measured: `${s.roundsPerMinute} / ${clean.roundsPerMinute} (the faster clean run) = ${s.ratio}×`,
          met: (s.ratio ?? 0) >= GOAL_RATIO,
        })),
      ],
    };
  },
};

export default bench;
