/**
 * Round overhead: 20 and 50 real peers on loopback (each its own libp2p host, store and TF.js
 * model; one worker thread per core hosts a share of them), training the MNIST `mlp`
 * (784-200-200-10, ~199k parameters) on 32 digits each, every peer in every cohort. Per round: the time not spent training, split into phases
 * along the round's critical path (see `roundFigures`).
 */
import { availableParallelism, loadavg } from 'node:os';
import { median, round } from './measure.ts';
import { startFederation, type Mark } from './federation.ts';
import type { Bench, BenchOptions, BenchResult, BenchTable } from './types.ts';

const GOAL_MS = 300;
const GOAL_PEERS = 20;
/** One batch of 32: the shortest training, so that the other peers' training competes least for the shared cores. */
const DIGITS = 32;
/** Along the critical path, in order (training between distribute and advert). */
const PHASES = ['distribute', 'advert', 'election', 'pull', 'aggregate'] as const;
/** Getting the version to every peer (only the part up to the critical peer is on the path), in three. */
const SPREAD_PARTS = ['versionAdvert', 'versionPull', 'checkpoint'] as const;
const OTHERS = ['nonTraining', 'training', 'slowestTraining', 'cycle', 'spread'] as const;

type Key = (typeof PHASES)[number] | (typeof SPREAD_PARTS)[number] | (typeof OTHERS)[number];

interface RoundFigures {
  readonly round: number;
  readonly contributors: number;
  /** Global index of the peer that aggregated it, and of the peer whose delta it waited for last. */
  readonly curator: number;
  readonly critical: number;
  /** Milliseconds. */
  readonly ms: Readonly<Record<Key, number>>;
}

interface SizeFigures {
  readonly peers: number;
  readonly threads: number;
  /** 1-minute load average when this size started (the machine is shared). */
  readonly loadAverage: number;
  readonly rounds: number;
  readonly roundList: readonly RoundFigures[];
  /** Absent when no round could be measured. */
  readonly medianMs?: Readonly<Record<Key, number>>;
  readonly p90Ms?: Readonly<Record<Key, number>>;
  readonly presenceIntervalMs: number;
  /** CPU the whole federation used per measured round, and on average how many cores that kept busy. */
  readonly cpuSecondsPerRound: number;
  readonly coresBusy: number;
  /** Cores kept busy once the last round is done (presence adverts and gossip only). */
  readonly coresBusyIdle: number;
  readonly warnings: number;
  /** Why the run stopped before every round was measured, if it did. */
  readonly stalled?: string;
}

/** Nearest-rank percentile. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

const latest = (marks: readonly Mark[]): number => Math.max(...marks.map((m) => m.at));

/**
 * One round's figures from the marks. Peers that adopt a version early start training early, so
 * rounds overlap: the round is measured along its critical path instead, from the previous version
 * made (A') to this one made (A), through L, the peer whose delta the curator waited for last:
 *   distribute = L adopted A' and began training − A' (version advert, pull, check)
 *   training   = L's training (base read, train, delta encoded, hashed, stored)
 *   advert     = L's delta advert heard by the curator − L done training
 *   election   = curator decides to aggregate − last delta heard (is every expected delta in?)
 *   pull       = curator's pulls done − decision
 *   aggregate  = A − pulls done (decode, check, fedavg, encode, sha256, write)
 * cycle = A − A' is the time per round; nonTraining = cycle − L's training. `spread` (A → every peer
 * adopted and checkpointed A) shows the whole distribution, split at the last version advert heard
 * and the last version pulled.
 */
function roundFigures(r: number, marks: readonly Mark[], ids: readonly string[]): RoundFigures | string {
  const of = <W extends Mark['what']>(what: W, inRound: number): (Mark & { what: W })[] =>
    marks.filter((m): m is Mark & { what: W } => m.what === what && m.round === inRound);
  /** The peer that made the version every peer adopted for the round. */
  const curatorOf = (inRound: number): number | string => {
    const versions = new Set(of('adopted', inRound).map((m) => m.version));
    const [version, ...more] = versions;
    if (version === undefined) return `round ${inRound}: not adopted`;
    if (more.length > 0) return `round ${inRound}: peers adopted ${versions.size} versions (a merge?)`;
    const maker = of('aggregated', inRound).find((m) => m.version === version);
    return maker?.peer ?? `round ${inRound}: version ${version.slice(0, 12)} was not made by an aggregation (a merge?)`;
  };
  const curator = curatorOf(r);
  const previousCurator = curatorOf(r - 1);
  if (typeof curator === 'string') return curator;
  if (typeof previousCurator === 'string') return previousCurator;
  const byCurator = <W extends 'decided' | 'pulled' | 'aggregated'>(what: W, inRound: number, peer: number) => of(what, inRound).find((m) => m.peer === peer);
  const previous = byCurator('aggregated', r - 1, previousCurator);
  const decided = byCurator('decided', r, curator);
  const pulled = byCurator('pulled', r, curator);
  const aggregated = byCurator('aggregated', r, curator);
  if (previous === undefined || decided === undefined || pulled === undefined || aggregated === undefined) return `round ${r}: the curators' marks are missing`;
  const trained = of('trained', r);
  const [lastFrom, lastHeard] = Object.entries(decided.heard).reduce((a, b) => (b[1] > a[1] ? b : a));
  const critical = ids.indexOf(lastFrom);
  const done = trained.find((m) => m.peer === critical);
  if (done === undefined) return `round ${r}: the last delta's training is not marked`;
  const training = done.seconds * 1000;
  const others = (what: 'version-heard' | 'fetched' | 'adopted') => of(what, r).filter((m) => m.peer !== curator);
  const versionHeard = others('version-heard').length > 0 ? latest(others('version-heard')) : aggregated.at;
  const fetched = others('fetched').length > 0 ? latest(others('fetched')) : versionHeard;
  const adopted = latest(of('adopted', r));
  const cycle = aggregated.at - previous.at;
  return {
    round: r,
    contributors: decided.deltas,
    curator,
    critical,
    ms: {
      distribute: done.at - training - previous.at,
      advert: lastHeard - done.at,
      election: decided.at - lastHeard,
      pull: pulled.at - decided.at,
      aggregate: aggregated.at - pulled.at,
      nonTraining: cycle - training,
      training,
      slowestTraining: Math.max(...trained.map((m) => m.seconds * 1000)),
      cycle,
      spread: adopted - aggregated.at,
      versionAdvert: versionHeard - aggregated.at,
      versionPull: fetched - versionHeard,
      checkpoint: adopted - fetched,
    },
  };
}

/**
 * One worker thread per core, the peers shared out among them: a thread per peer would make every
 * thread JIT-compile and warm up the same code, and time-slice far more threads than cores.
 */
const THREADS = availableParallelism();
/** startPeer's, which `gossipfl start` uses. */
const DEFAULT_PRESENCE_MS = 2000;

interface Plan {
  readonly peers: number;
  /** Rounds measured, after one warm-up round. */
  readonly measured: number;
  /** Default: startPeer's. */
  readonly presenceIntervalMs?: number;
}

/** CPU seconds the whole process (every thread) used per wall second while `wait` ran. */
async function coresBusy(wait: () => Promise<unknown>): Promise<{ cores: number; cpuSeconds: number }> {
  const before = process.cpuUsage();
  const started = performance.now();
  await wait();
  const used = process.cpuUsage(before);
  const cpuSeconds = (used.user + used.system) / 1e6;
  return { cores: cpuSeconds / ((performance.now() - started) / 1000), cpuSeconds };
}

const IDLE_SECONDS = 5;

async function measure({ peers, measured, presenceIntervalMs }: Plan, log: (line: string) => void): Promise<SizeFigures> {
  const loadAverage = round(loadavg()[0] ?? Number.NaN, 3);
  // Round 1 is a warm-up (connections, JIT, first pulls); rounds 2.. are measured.
  const total = measured + 1;
  const perAgent = Math.ceil(peers / THREADS);
  const federation = await startFederation({
    nodes: peers,
    perAgent,
    agent: 'worker',
    kind: 'peer',
    rounds: total,
    digits: DIGITS,
    trace: true,
    log,
    ...(presenceIntervalMs === undefined ? {} : { presenceIntervalMs }),
  });
  const roundList: RoundFigures[] = [];
  let stalled: string | undefined;
  let busy = { cores: Number.NaN, cpuSeconds: Number.NaN };
  let idle = { cores: Number.NaN, cpuSeconds: Number.NaN };
  try {
    await federation.untilRound(1);
    busy = await coresBusy(async () => {
      for (let r = 2; r <= total; r++) {
        await federation.untilRound(r);
        const figures = roundFigures(r, federation.marks, federation.ids);
        if (typeof figures === 'string') {
          log(figures);
          continue;
        }
        roundList.push(figures);
        const phases = PHASES.map((phase) => `${phase} ${figures.ms[phase].toFixed(0)}`).join(', ');
        log(`${peers} peers, round ${r}: ${figures.contributors} deltas, cycle ${figures.ms.cycle.toFixed(0)} ms, training ${figures.ms.training.toFixed(0)}, rest ${figures.ms.nonTraining.toFixed(0)} (${phases})`);
      }
    });
    // The task's last round is done: what the peers cost with no round running (presence, gossip).
    await new Promise((resolve) => setTimeout(resolve, 1000));
    idle = await coresBusy(() => new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000)));
  } catch (error) {
    stalled = (error as Error).message;
    log(`${peers} peers: ${stalled}`);
  } finally {
    await federation.stop();
  }
  const keys = [...PHASES, ...SPREAD_PARTS, ...OTHERS];
  const stat = (fn: (values: number[]) => number) => Object.fromEntries(keys.map((key) => [key, round(fn(roundList.map((f) => f.ms[key])), 3)])) as Record<Key, number>;
  return {
    peers,
    threads: Math.ceil(peers / perAgent),
    loadAverage,
    rounds: roundList.length,
    roundList: roundList.map((f) => ({ ...f, ms: Object.fromEntries(keys.map((key) => [key, round(f.ms[key], 4)])) as Record<Key, number> })),
    ...(roundList.length === 0 ? {} : { medianMs: stat(median), p90Ms: stat((values) => percentile(values, 90)) }),
    presenceIntervalMs: presenceIntervalMs ?? DEFAULT_PRESENCE_MS,
    cpuSecondsPerRound: roundList.length === 0 ? 0 : round(busy.cpuSeconds / roundList.length, 3),
    coresBusy: roundList.length === 0 ? 0 : round(busy.cores, 3),
    coresBusyIdle: Number.isFinite(idle.cores) ? round(idle.cores, 3) : 0,
    warnings: federation.warnings.length,
    ...(stalled === undefined ? {} : { stalled }),
  };
}

function table(sizes: readonly SizeFigures[]): BenchTable {
  const rows: [string, Key][] = [
    ['distribute (to the critical peer)', 'distribute'],
    ['advert', 'advert'],
    ['election', 'election'],
    ['pull', 'pull'],
    ['aggregate', 'aggregate'],
    ['non-training total', 'nonTraining'],
    ['(training, critical peer)', 'training'],
    ['(training, slowest peer)', 'slowestTraining'],
    ['(round cycle)', 'cycle'],
    ['(version to every peer)', 'spread'],
    ['  version advert heard', 'versionAdvert'],
    ['  version pulled', 'versionPull'],
    ['  adopted, checkpointed', 'checkpoint'],
  ];
  const measured = sizes.flatMap((s) => (s.medianMs === undefined || s.p90Ms === undefined ? [] : [{ peers: s.peers, median: s.medianMs, p90: s.p90Ms }]));
  return {
    title: 'Time per round not spent training (ms)',
    columns: ['phase', ...measured.flatMap((s) => [`${s.peers} peers median`, `${s.peers} peers p90`])],
    rows: rows.map(([label, key]) => [label, ...measured.flatMap((s) => [s.median[key], s.p90[key]])]),
  };
}

function hostingTable(sizes: readonly SizeFigures[]): BenchTable {
  return {
    title: 'Hosting',
    columns: ['peers', 'worker threads', 'presence every (ms)', 'load average', 'rounds measured', 'CPU s per round', 'cores busy', 'cores busy idle', 'warnings', 'stalled'],
    rows: sizes.map((s) => [
      s.peers,
      s.threads,
      s.presenceIntervalMs,
      s.loadAverage,
      s.rounds,
      s.cpuSecondsPerRound,
      s.coresBusy,
      s.coresBusyIdle,
      s.warnings,
      s.stalled === undefined ? 'no' : s.stalled.slice(0, 120),
    ]),
  };
}

async function run({ smoke, log }: BenchOptions): Promise<BenchResult> {
  const plan: Plan[] = smoke
    ? [{ peers: 3, measured: 1 }]
    : [
        { peers: 20, measured: 10 },
        // At the default 2 s, 50 peers' presence adverts (25 a second, each delivered to 49 peers)
        // and their gossip keep this machine's cores busy by themselves: pulls time out, rounds fork.
        { peers: 50, measured: 6, presenceIntervalMs: 5000 },
      ];
  const sizes: SizeFigures[] = [];
  for (const size of plan) sizes.push(await measure(size, log));
  const goalSize = sizes.find((s) => s.peers === GOAL_PEERS) ?? sizes[0]!;
  return {
    summary:
      `Real peers on loopback TCP (noise, yamux, gossipsub, every pair connected), all in one process: one worker thread per core (${THREADS}), ` +
      `the peers shared out among them, so every peer's transfers, gossip and training compete for this machine's cores; curator mode, ` +
      `cohort fraction 1, MNIST mlp (784-200-200-10, ~199k parameters, int8 deltas, f32 versions), ${DIGITS} digits per peer, 1 epoch, ` +
      `presence adverts every ${DEFAULT_PRESENCE_MS / 1000} s (startPeer's default; longer where Hosting says so). ` +
      'Peers that adopt a version early train early, so rounds overlap; each round (after one warm-up) is measured along its critical path, ' +
      'from the previous version made to this one made (the round cycle), through the peer whose delta the curator waited for last: ' +
      'distribute (previous version reaching that peer: advert, pull, check), its training (subtracted), advert (its delta advert reaching the curator), ' +
      'election (curator deciding every expected delta is in), pull (curator pulling every delta), aggregate (decode, check, fedavg, encode, store). ' +
      'Version to every peer: the version made -> adopted and checkpointed by all. Cores busy: CPU of the whole process per wall second ' +
      `during the measured rounds, and for ${IDLE_SECONDS} s after the last one (no round running: presence and gossip only).`,
    tables: [table(sizes), hostingTable(sizes)],
    figures: { digitsPerPeer: DIGITS, sizes },
    goals: [
      {
        goal: `median non-training time per round <= ${GOAL_MS} ms at ${GOAL_PEERS} peers`,
        measured:
          goalSize.medianMs === undefined
            ? `no round completed at ${goalSize.peers} peers (${goalSize.stalled ?? 'no figures'})`
            : `${goalSize.medianMs.nonTraining} ms at ${goalSize.peers} peers (p90 ${goalSize.p90Ms?.nonTraining} ms)`,
        met: goalSize.peers === GOAL_PEERS && (goalSize.medianMs?.nonTraining ?? Infinity) <= GOAL_MS,
      },
    ],
  };
}

const bench: Bench = {
  name: 'round',
  description: 'time per round not spent training, 20 and 50 real peers on loopback, 200k-param MLP, split into phases',
  run,
};
export default bench;
