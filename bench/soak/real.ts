/**
 * Real soak: 10 gossipfl peers, each its own child process (bench/federation.ts), every pair
 * connected over loopback TCP (noise, yamux, gossipsub), training the MNIST mlp on a few hundred
 * digits each for 200 rounds. Every ~10 s each peer process reports its memory after two full
 * collections; the rounds' pace comes from the peers' `adopted` marks.
 */
import { startFederation, type AgentMemory, type Mark } from '../federation.ts';
import { round } from '../measure.ts';
import type { BenchResult } from '../types.ts';
import { loadDuring, sampleOf, slopePer100Rounds, startMiddleEnd, warningKinds, type MemorySample } from './series.ts';

export interface RealSoakOptions {
  readonly smoke: boolean;
  /** Stop sampling and report after this many wall minutes, whatever round the peers are at. */
  readonly maxMinutes?: number;
  readonly log: (line: string) => void;
}

/** No round completed for this long: the run is reported as it stands. */
const STALL_MS = 180_000;

/** The round every peer has adopted (0 before any). */
function completedRound(marks: readonly Mark[], peers: number): number {
  const latest = new Array<number>(peers).fill(0);
  for (const mark of marks) if (mark.what === 'adopted') latest[mark.peer] = Math.max(latest[mark.peer]!, mark.round);
  return Math.min(...latest);
}

/** When each round was adopted by its last peer (ms on the agents' clock), for rounds 1..`upTo`. */
function completionTimes(marks: readonly Mark[], peers: number, upTo: number): number[] {
  const byPeer = Array.from({ length: peers }, (): { round: number; at: number }[] => []);
  for (const mark of marks) if (mark.what === 'adopted') byPeer[mark.peer]!.push({ round: mark.round, at: mark.at });
  for (const list of byPeer) list.sort((a, b) => a.at - b.at);
  const times: number[] = [];
  for (let r = 1; r <= upTo; r++) times.push(Math.max(...byPeer.map((list) => list.find((m) => m.round >= r)?.at ?? Number.NaN)));
  return times;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function realSoak({ smoke, log, maxMinutes }: RealSoakOptions): Promise<{ result: BenchResult; csv: { columns: string[]; rows: (string | number)[][] } }> {
  const peers = smoke ? 3 : 10;
  const rounds = smoke ? 3 : 200;
  const digits = smoke ? 50 : 300;
  const intervalMs = smoke ? 2000 : 10_000;
  const federation = await startFederation({ nodes: peers, perAgent: 1, agent: 'process', kind: 'peer', rounds, digits, log });
  const startedAt = performance.timeOrigin + performance.now();
  const seconds = () => (performance.timeOrigin + performance.now() - startedAt) / 1000;
  /** Samples of each peer's process. */
  const series = Array.from({ length: peers }, (): MemorySample[] => []);
  const sample = async (): Promise<number> => {
    const done = completedRound(federation.marks, peers);
    const memories: AgentMemory[] = await federation.memory();
    const at = seconds();
    memories.forEach((memory, peer) => series[peer]!.push(sampleOf(memory, at, done)));
    return done;
  };
  let stalled = false;
  let outOfTime = false;
  try {
    await sample();
    let lastProgress = { round: 0, at: seconds() };
    for (;;) {
      await sleep(intervalMs);
      const done = await sample();
      const rss = series.map((s) => s.at(-1)!.rssMiB);
      log(`round ${done} at ${seconds().toFixed(0)} s; RSS per peer ${Math.min(...rss).toFixed(0)}–${Math.max(...rss).toFixed(0)} MiB; load ${series[0]!.at(-1)!.load}; warnings ${federation.warnings.length}`);
      if (done >= rounds) break;
      if (maxMinutes !== undefined && seconds() > maxMinutes * 60) {
        outOfTime = true;
        log(`${maxMinutes} min are up: stopping at round ${done}`);
        break;
      }
      if (done > lastProgress.round) lastProgress = { round: done, at: seconds() };
      else if ((seconds() - lastProgress.at) * 1000 > STALL_MS) {
        stalled = true;
        log(`no round completed for ${STALL_MS / 1000} s: stopping at round ${done}`);
        break;
      }
    }
  } finally {
    await federation.stop();
  }
  const completed = completedRound(federation.marks, peers);
  const wallSeconds = seconds();
  const times = completionTimes(federation.marks, peers, completed);
  const windowSize = smoke ? 1 : 25;
  const windows: { from: number; to: number; roundsPerMinute: number }[] = [];
  for (let from = 0; from + windowSize <= completed; from += windowSize) {
    const begin = from === 0 ? startedAt : times[from - 1]!;
    windows.push({ from, to: from + windowSize, roundsPerMinute: round(windowSize / ((times[from + windowSize - 1]! - begin) / 60_000), 4) });
  }
  const pace = (from: number, to: number): number => {
    const begin = from === 0 ? startedAt : times[from - 1]!;
    return round((to - from) / ((times[to - 1]! - begin) / 60_000), 4);
  };
  const span = Math.min(50, Math.floor(completed / 2));
  const firstPace = span > 0 ? pace(0, span) : Number.NaN;
  const lastPace = span > 0 ? pace(completed - span, completed) : Number.NaN;
  const half = Math.floor(completed / 2);
  const perPeer = series.map((samples, peer) => {
    // Start: the first sample once a round is done (the model, its optimizer and the libp2p streams exist).
    const warm = samples.filter((s) => s.round >= 1);
    const [start, middle, end] = startMiddleEnd(warm.length > 0 ? warm : samples, completed);
    return {
      peer,
      start,
      middle,
      end,
      rssSlope: slopePer100Rounds(samples, (s) => s.rssMiB, half),
      heapSlope: slopePer100Rounds(samples, (s) => s.heapUsedMiB, half),
      arrayBuffersSlope: slopePer100Rounds(samples, (s) => s.arrayBuffersMiB, half),
    };
  });
  const mean = (values: readonly number[]) => round(values.reduce((s, v) => s + v, 0) / values.length, 4);
  const rssSlopes = perPeer.map((p) => p.rssSlope);
  const heapSlopes = perPeer.map((p) => p.heapSlope);
  const warnings = federation.warnings;
  const load = loadDuring(series[0]!);
  const rssGoal = 2;
  const figures = {
    peers,
    rounds,
    completed,
    stalled,
    outOfTime,
    digitsPerPeer: digits,
    sampleIntervalSeconds: intervalMs / 1000,
    wallSeconds: round(wallSeconds, 4),
    roundsPerMinute: { first: firstPace, last: lastPace, span, windows },
    secondHalfSlopeMiBPer100Rounds: { rss: { mean: mean(rssSlopes), max: Math.max(...rssSlopes), min: Math.min(...rssSlopes) }, heapUsed: { mean: mean(heapSlopes), max: Math.max(...heapSlopes) } },
    perPeer: perPeer.map(({ peer, start, middle, end, rssSlope, heapSlope, arrayBuffersSlope }) => ({ peer, start, middle, end, rssSlope, heapSlope, arrayBuffersSlope })),
    load,
    warnings: { total: warnings.length, byKind: warningKinds(warnings), first: warnings.slice(0, 100) },
    /** Peer 0's adoptions: when (s since start), how many contributors, how many versions merged. */
    adoptions: federation.marks.flatMap((m) => (m.what === 'adopted' && m.peer === 0 ? [{ round: m.round, seconds: round((m.at - startedAt) / 1000, 5), contributors: m.contributors, merged: m.merged }] : [])),
    samples: series,
  };
  const result: BenchResult = {
    summary:
      `Real soak: ${peers} gossipfl peers, one child process each, every pair connected on loopback TCP (noise, yamux, gossipsub), ${rounds} rounds of the npm start demo task ` +
      `(MNIST mlp 784-200-200-10, adam, B=32, E=1, ${digits} IID digits each, cohort fraction 1, int8 deltas, curator mode; presence every 2 s). Each process's memory after two full GCs, every ${intervalMs / 1000} s; ` +
      `pace from the moment the last peer adopted each round; slopes are least squares over rounds ${half}–${completed}.`,
    tables: [
      {
        title: 'RSS per peer process (MiB) and second-half slopes (MiB / 100 rounds)',
        columns: ['peer', 'start', 'middle', 'end', 'RSS slope', 'heap at end', 'heap slope', 'array buffers slope'],
        rows: perPeer.map((p) => [p.peer, p.start.rssMiB, p.middle.rssMiB, p.end.rssMiB, p.rssSlope, p.end.heapUsedMiB, p.heapSlope, p.arrayBuffersSlope]),
      },
      {
        title: `Pace (rounds per minute; first ${span} ${firstPace}, last ${span} ${lastPace})`,
        columns: ['rounds', 'rounds / min'],
        rows: windows.map((w) => [`${w.from + 1}–${w.to}`, w.roundsPerMinute]),
      },
      {
        title: `Warnings the peers logged (${warnings.length})`,
        columns: ['count', 'kind'],
        rows: Object.entries(figures.warnings.byKind).map(([kind, count]) => [count, kind]),
      },
    ],
    figures,
    goals: [
      { goal: `${rounds} rounds completed by every peer`, measured: `${completed} in ${round(wallSeconds, 4)} s${stalled ? ' (stalled)' : ''}${outOfTime ? ` (cut at ${maxMinutes} min)` : ''}`, met: completed >= rounds },
      { goal: `RSS flat: second-half slope ≤ ${rssGoal} MiB per 100 rounds on every peer`, measured: `mean ${figures.secondHalfSlopeMiBPer100Rounds.rss.mean}, max ${figures.secondHalfSlopeMiBPer100Rounds.rss.max}`, met: Math.max(...rssSlopes) <= rssGoal },
      { goal: `pace kept: last ${span} rounds ≥ 0.9 × first ${span} rounds per minute`, measured: `${lastPace} vs ${firstPace} rounds / min`, met: lastPace >= 0.9 * firstPace },
    ],
  };
  return {
    result,
    csv: {
      columns: ['wall_s', 'round', 'load1', 'peer', 'rss_mib', 'heap_used_mib', 'external_mib', 'array_buffers_mib'],
      rows: series.flatMap((samples, peer) => samples.map((s) => [s.wallSeconds, s.round, s.load, peer, s.rssMiB, s.heapUsedMiB, s.externalMiB, s.arrayBuffersMiB])),
    },
  };
}
