/**
 * Round overhead: 20 and 50 real peers on loopback (each a worker thread: its own libp2p host,
 * store, TF.js model), training the MNIST `mlp` (784-200-200-10, ~199k parameters) on 50 digits
 * each, every peer in every cohort. Per round: the time not spent training, split into phases
 * along the round's critical path (see `roundFigures`).
 */
import { median, round } from './measure.ts';
import { startFederation, type Mark } from './federation.ts';
import type { Bench, BenchOptions, BenchResult, BenchTable } from './types.ts';

const GOAL_MS = 300;
const GOAL_PEERS = 20;
const DIGITS = 50;
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
  readonly rounds: number;
  readonly roundList: readonly RoundFigures[];
  readonly medianMs: Readonly<Record<Key, number>>;
  readonly p90Ms: Readonly<Record<Key, number>>;
  readonly warnings: number;
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

export async function measure(peers: number, measured: number, log: (line: string) => void): Promise<SizeFigures> {
  // Round 1 is a warm-up (connections, JIT, first pulls); rounds 2.. are measured.
  const total = measured + 1;
  const federation = await startFederation({ nodes: peers, perAgent: 1, agent: 'worker', kind: 'peer', rounds: total, digits: DIGITS, trace: true, log });
  const roundList: RoundFigures[] = [];
  try {
    for (let r = 1; r <= total; r++) {
      await federation.untilRound(r);
      if (r === 1) continue;
      const figures = roundFigures(r, federation.marks, federation.ids);
      if (typeof figures === 'string') {
        log(figures);
        continue;
      }
      roundList.push(figures);
      const phases = PHASES.map((phase) => `${phase} ${figures.ms[phase].toFixed(0)}`).join(', ');
      log(`${peers} peers, round ${r}: ${figures.contributors} deltas, cycle ${figures.ms.cycle.toFixed(0)} ms, training ${figures.ms.training.toFixed(0)}, rest ${figures.ms.nonTraining.toFixed(0)} (${phases})`);
    }
  } finally {
    await federation.stop();
  }
  if (roundList.length === 0) throw new Error(`no round of ${peers} peers could be measured; warnings: ${federation.warnings.slice(-5).join(' | ')}`);
  const keys = [...PHASES, ...SPREAD_PARTS, ...OTHERS];
  const stat = (fn: (values: number[]) => number) => Object.fromEntries(keys.map((key) => [key, round(fn(roundList.map((f) => f.ms[key])), 3)])) as Record<Key, number>;
  return {
    peers,
    rounds: roundList.length,
    roundList: roundList.map((f) => ({ ...f, ms: Object.fromEntries(keys.map((key) => [key, round(f.ms[key], 4)])) as Record<Key, number> })),
    medianMs: stat(median),
    p90Ms: stat((values) => percentile(values, 90)),
    warnings: federation.warnings.length,
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
  return {
    title: 'Time per round not spent training (ms)',
    columns: ['phase', ...sizes.flatMap((s) => [`${s.peers} peers median`, `${s.peers} peers p90`])],
    rows: rows.map(([label, key]) => [label, ...sizes.flatMap((s) => [s.medianMs[key], s.p90Ms[key]])]),
  };
}

async function run({ smoke, log }: BenchOptions): Promise<BenchResult> {
  const plan = smoke ? [{ peers: 3, measured: 1 }] : [{ peers: 20, measured: 10 }, { peers: 50, measured: 6 }];
  const sizes: SizeFigures[] = [];
  for (const { peers, measured } of plan) sizes.push(await measure(peers, measured, log));
  const goalSize = sizes.find((s) => s.peers === GOAL_PEERS) ?? sizes[0]!;
  return {
    summary:
      `Real peers on loopback TCP (noise, yamux, gossipsub), one worker thread each, all in one process sharing this machine's cores; curator mode, ` +
      `cohort fraction 1, MNIST mlp (784-200-200-10, ~199k parameters, int8 deltas, f32 versions), ${DIGITS} digits per peer, 1 epoch. ` +
      'Peers that adopt a version early train early, so rounds overlap; each round (after one warm-up) is measured along its critical path, ' +
      'from the previous version made to this one made (the round cycle), through the peer whose delta the curator waited for last: ' +
      'distribute (previous version reaching that peer: advert, pull, check), its training (subtracted), advert (its delta advert reaching the curator), ' +
      'election (curator deciding every expected delta is in), pull (curator pulling every delta), aggregate (decode, check, fedavg, encode, store). ' +
      'Version to every peer: the version made -> adopted and checkpointed by all.',
    tables: [table(sizes)],
    figures: { digitsPerPeer: DIGITS, sizes },
    goals: [
      {
        goal: `median non-training time per round <= ${GOAL_MS} ms at ${GOAL_PEERS} peers`,
        measured: `${goalSize.medianMs.nonTraining} ms at ${goalSize.peers} peers (p90 ${goalSize.p90Ms.nonTraining} ms)`,
        met: goalSize.peers === GOAL_PEERS && goalSize.medianMs.nonTraining <= GOAL_MS,
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
