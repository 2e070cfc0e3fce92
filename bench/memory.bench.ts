/**
 * Memory per peer: RSS of real gossipfl peers (MNIST `mlp`, a few rounds done, so each holds its
 * model, optimizer state, blobs and deltas) hosted (a) all in one process, (b) one process each,
 * against idle libp2p hosts from the same host factory measured the same two ways. Every
 * measurement is taken in fresh child processes (bench/peer-agent.ts).
 */
import { MiB, round } from './measure.ts';
import { startFederation, type AgentMemory, type FederationOptions } from './federation.ts';
import type { Bench, BenchOptions, BenchResult } from './types.ts';

const GOAL_MIB = 200;
const DIGITS = 50;

interface Way {
  /** MiB per node: (a) (process RSS − fresh process RSS) / nodes; (b) summed RSS / nodes. */
  readonly rssMiB: number;
  readonly peakRssMiB: number;
  readonly heapUsedMiB: number;
  /** V8 external memory (array buffers, TF.js wasm memory is not in it). */
  readonly externalMiB: number;
}

interface KindFigures {
  readonly oneProcess: Way;
  readonly separateProcesses: Way;
  /** RSS of a process that loaded the same modules and started nothing. */
  readonly freshProcessMiB: number;
}

const sum = (memories: readonly AgentMemory[], pick: (m: AgentMemory) => number): number => memories.reduce((total, m) => total + pick(m), 0);

function perNode(memories: readonly AgentMemory[], nodes: number, fresh?: AgentMemory): Way {
  const share = (pick: (m: AgentMemory) => number) => round((sum(memories, pick) - (fresh === undefined ? 0 : pick(fresh))) / nodes / MiB, 4);
  return { rssMiB: share((m) => m.rss), peakRssMiB: share((m) => m.peakRss), heapUsedMiB: share((m) => m.heapUsed), externalMiB: share((m) => m.external) };
}

/** Starts the nodes, lets peers complete `rounds` rounds (idle hosts: a few seconds), then reads every agent's memory. */
async function measured(options: FederationOptions, rounds: number): Promise<AgentMemory[]> {
  const federation = await startFederation(options);
  try {
    if (options.nodes > 0 && options.kind === 'peer') await federation.untilRound(rounds);
    await new Promise((resolve) => setTimeout(resolve, options.kind === 'idle' && options.nodes > 0 ? 3000 : 1000));
    return await federation.memory();
  } finally {
    await federation.stop();
  }
}

/** Runs the tasks one after another, or all at once (the smoke run: its figures mean nothing anyway). */
async function inTurn<T>(tasks: readonly (() => Promise<T>)[], atOnce: boolean): Promise<T[]> {
  if (atOnce) return Promise.all(tasks.map((task) => task()));
  const results: T[] = [];
  for (const task of tasks) results.push(await task());
  return results;
}

async function measureKind(kind: 'peer' | 'idle', nodes: number, rounds: number, atOnce: boolean, log: (line: string) => void): Promise<KindFigures> {
  const common = { kind, agent: 'process', rounds, digits: DIGITS, log } as const;
  const [[fresh] = [], together = [], apart = []] = await inTurn(
    [
      () => measured({ ...common, nodes: 0, perAgent: 1 }, rounds),
      () => measured({ ...common, nodes, perAgent: nodes }, rounds),
      () => measured({ ...common, nodes, perAgent: 1 }, rounds),
    ],
    atOnce,
  );
  const oneProcess = perNode(together, nodes, fresh);
  const separateProcesses = perNode(apart, nodes);
  log(`${kind}: ${oneProcess.rssMiB} MiB per node in one process, ${separateProcesses.rssMiB} MiB per node as separate processes`);
  return { oneProcess, separateProcesses, freshProcessMiB: round(fresh!.rss / MiB, 4) };
}

async function run({ smoke, log }: BenchOptions): Promise<BenchResult> {
  const nodes = smoke ? 2 : 20;
  const rounds = smoke ? 1 : 3;
  const [peer, idle] = (await inTurn([() => measureKind('peer', nodes, rounds, smoke, log), () => measureKind('idle', nodes, rounds, smoke, log)], smoke)) as [KindFigures, KindFigures];
  const ways = [
    ['one process', 'oneProcess'],
    ['separate processes', 'separateProcesses'],
  ] as const;
  return {
    summary:
      `${nodes} gossipfl peers (MNIST mlp 784-200-200-10, ~199k parameters, adam, ${DIGITS} digits each, curator mode, int8 deltas) on loopback TCP, ` +
      `every pair connected, measured after ${rounds} round(s), vs ${nodes} idle libp2p hosts from the same factory (createHost: TCP, noise, yamux, identify, gossipsub; ` +
      'every pair connected, no topic, no learning). One process: (RSS of the process hosting all nodes in one thread - RSS of a fresh process that loaded ' +
      'the same modules) / nodes. Separate processes: summed RSS of one process per node / nodes (each carries its own Node runtime and modules). ' +
      'RSS after two full GCs; MiB.',
    tables: [
      {
        title: 'Memory per node (MiB)',
        columns: ['hosting', 'peer RSS', 'idle host RSS', 'peer - idle', 'peer peak RSS', 'peer V8 heap', 'peer external'],
        rows: ways.map(([label, key]) => [
          label,
          peer[key].rssMiB,
          idle[key].rssMiB,
          round(peer[key].rssMiB - idle[key].rssMiB, 4),
          peer[key].peakRssMiB,
          peer[key].heapUsedMiB,
          peer[key].externalMiB,
        ]),
      },
      {
        title: 'Fresh processes (MiB)',
        columns: ['modules loaded', 'RSS'],
        rows: [
          ['peer (libp2p, TF.js wasm backend selected)', peer.freshProcessMiB],
          ['idle host (libp2p)', idle.freshProcessMiB],
        ],
      },
    ],
    figures: { nodes, rounds, digitsPerPeer: DIGITS, peer, idle },
    goals: ways.map(([label, key]) => ({
      goal: `RSS per peer <= ${GOAL_MIB} MB, ${label}`,
      measured: `${peer[key].rssMiB} MiB (idle host: ${idle[key].rssMiB} MiB)`,
      met: peer[key].rssMiB * MiB <= GOAL_MIB * 1e6,
    })),
  };
}

const bench: Bench = {
  name: 'memory',
  description: 'RSS per peer, 20 peers in one process and as separate processes, vs an idle libp2p host',
  run,
};
export default bench;
