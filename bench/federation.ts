/**
 * Real federations for the round and memory benches: N libp2p nodes on loopback TCP (noise,
 * yamux, gossipsub, as createHost builds them) hosted by agents (bench/peer-agent.ts) — worker
 * threads or child processes, one or several nodes each — every pair connected. Nodes are
 * gossipfl peers training the MNIST `mlp` task on a few digits each, or idle hosts (the baseline).
 * The agents report timestamped marks (see `Mark`) and their memory.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { subset } from '../node/learn/data/dataset.ts';
import { mnistSplit } from '../node/learn/data/mnist.ts';
import { partition } from '../node/learn/data/partition.ts';
import { demoTask } from '../node/demo/federation.ts';
import type { TaskManifest } from '../node/task/manifest.ts';
import { taskHash } from '../node/task/signing.ts';

/** Something an agent's peer did, at `at` ms (performance.timeOrigin + performance.now() where it happened). */
export type Mark = { readonly peer: number; readonly at: number } & MarkBody;

export type MarkBody =
  | { readonly what: 'trained'; readonly round: number; readonly seconds: number }
  /** The peer decided to aggregate the round; `heard`: when each delta reached it, by sender id. */
  | { readonly what: 'decided'; readonly round: number; readonly deltas: number; readonly heard: Readonly<Record<string, number>> }
  /** Its aggregation's pulls are done. */
  | { readonly what: 'pulled'; readonly round: number }
  /** It made and stored `version`. */
  | { readonly what: 'aggregated'; readonly round: number; readonly version: string }
  /** It heard the round's first version advert / pulled and checked that version. */
  | { readonly what: 'version-heard' | 'fetched'; readonly round: number }
  | { readonly what: 'adopted'; readonly round: number; readonly version: string; readonly contributors: number; readonly merged: number };

export interface AgentMemory {
  readonly rss: number;
  readonly peakRss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

export type ToAgent =
  | {
      readonly type: 'init';
      readonly kind: 'peer';
      /** Global index of the first node. */
      readonly first: number;
      /** One shard of MNIST digits per peer to start. */
      readonly shards: readonly { readonly features: Float32Array; readonly labels: Int32Array }[];
      readonly dir: string;
      readonly task: TaskManifest;
      readonly taskHash: string;
      /** Default: startPeer's (what `gossipfl start` uses). */
      readonly presenceIntervalMs?: number;
      /** Report every mark; otherwise only `adopted`. */
      readonly trace: boolean;
    }
  | { readonly type: 'init'; readonly kind: 'idle'; readonly first: number; readonly count: number }
  /** Every node's address, in global order: each dials those after it. */
  | { readonly type: 'connect'; readonly addresses: readonly string[] }
  | { readonly type: 'start'; readonly total: number }
  | { readonly type: 'memory' }
  | { readonly type: 'stop' };

export type FromAgent =
  | { readonly type: 'ready'; readonly ids: readonly string[]; readonly addresses: readonly string[] }
  | { readonly type: 'connected' }
  | { readonly type: 'started' }
  | { readonly type: 'memory'; readonly memory: AgentMemory }
  | { readonly type: 'stopped' }
  | { readonly type: 'mark'; readonly mark: Mark }
  | { readonly type: 'warning'; readonly peer: number; readonly message: string }
  | { readonly type: 'failed'; readonly message: string };

type Reply = Exclude<FromAgent, { type: 'mark' | 'warning' }>;

const AGENT = new URL('./peer-agent.ts', import.meta.url);

/** A worker thread or a child process running peer-agent.ts, with request/reply. */
class Agent {
  readonly #post: (message: ToAgent, transfer: ArrayBuffer[]) => void;
  readonly #end: () => Promise<unknown>;
  #waiter: ((reply: Reply) => void) | undefined;
  #failure: string | undefined;

  constructor(where: 'worker' | 'process', onReport: (message: Extract<FromAgent, { type: 'mark' | 'warning' }>) => void) {
    const onMessage = (message: FromAgent): void => {
      if (message.type === 'mark' || message.type === 'warning') return onReport(message);
      if (message.type === 'failed') this.#failure = message.message;
      this.#waiter?.(message);
    };
    const onGone = (why: string): void => {
      this.#failure ??= why;
      this.#waiter?.({ type: 'failed', message: why });
    };
    if (where === 'worker') {
      const worker = new Worker(AGENT);
      worker.on('message', onMessage);
      worker.on('error', (error) => onGone(`agent worker failed: ${error.stack ?? error.message}`));
      this.#post = (message, transfer) => worker.postMessage(message, transfer);
      this.#end = () => worker.terminate();
    } else {
      const child: ChildProcess = fork(AGENT, [], {
        execPath: process.execPath,
        execArgv: ['--expose-gc'],
        serialization: 'advanced',
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      child.on('message', (message) => onMessage(message as FromAgent));
      child.on('exit', (code, signal) => onGone(`agent process exited (${signal ?? code})`));
      this.#post = (message) => child.send(message);
      this.#end = async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill();
      };
    }
  }

  request<T extends Reply['type']>(message: ToAgent, reply: T, transfer: ArrayBuffer[] = []): Promise<Extract<Reply, { type: T }>> {
    return new Promise((resolve, reject) => {
      if (this.#failure !== undefined) return reject(new Error(this.#failure));
      this.#waiter = (answer) => {
        this.#waiter = undefined;
        if (answer.type === reply) resolve(answer as Extract<Reply, { type: T }>);
        else reject(new Error(answer.type === 'failed' ? answer.message : `expected ${reply}, got ${answer.type}`));
      };
      this.#post(message, transfer);
    });
  }

  async stop(): Promise<void> {
    if (this.#failure === undefined) {
      await Promise.race([this.request({ type: 'stop' }, 'stopped').catch(() => {}), new Promise((resolve) => setTimeout(resolve, 15_000))]);
    }
    await this.#end();
  }
}

export interface FederationOptions {
  /** Nodes in all; 0 starts one agent hosting none (a fresh process with the modules loaded). */
  readonly nodes: number;
  readonly perAgent: number;
  readonly agent: 'worker' | 'process';
  readonly kind: 'peer' | 'idle';
  /** The task's round limit (peers). */
  readonly rounds?: number;
  /** MNIST training digits per peer. */
  readonly digits?: number;
  readonly trace?: boolean;
  readonly presenceIntervalMs?: number;
  readonly log?: (line: string) => void;
}

export interface Federation {
  /** Peer ids by global index. */
  readonly ids: readonly string[];
  readonly marks: readonly Mark[];
  readonly warnings: readonly string[];
  /** Resolves once every node has adopted `round`; rejects after `timeoutMs`. */
  untilRound(round: number, timeoutMs?: number): Promise<void>;
  /** Each agent's memory. */
  memory(): Promise<AgentMemory[]>;
  stop(): Promise<void>;
}

export async function startFederation(options: FederationOptions): Promise<Federation> {
  const log = options.log ?? (() => {});
  const { nodes, perAgent, kind } = options;
  // The npm start demo's task: adam, batch 32, 1 epoch, int8 deltas, cohort fraction 1; the curator
  // closes a round as soon as every expected delta is in, the 30 s window only bounds a stall.
  const task = demoTask(options.rounds ?? 1, 1);
  const marks: Mark[] = [];
  const warnings: string[] = [];
  const adopted = new Map<number, number>();
  let wake: (() => void) | undefined;
  const onReport = (message: Extract<FromAgent, { type: 'mark' | 'warning' }>): void => {
    if (message.type === 'warning') {
      warnings.push(`peer ${message.peer}: ${message.message}`);
      return;
    }
    const { mark } = message;
    marks.push(mark);
    if (mark.what === 'adopted') {
      adopted.set(mark.peer, Math.max(adopted.get(mark.peer) ?? 0, mark.round));
      wake?.();
    }
  };
  const agentCount = Math.max(1, Math.ceil(nodes / perAgent));
  const agents = Array.from({ length: agentCount }, () => new Agent(options.agent, onReport));
  const dir = await mkdtemp(join(tmpdir(), 'gossipfl-bench-'));
  const stop = async (): Promise<void> => {
    await Promise.allSettled(agents.map((agent) => agent.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const counts = agents.map((_, i) => Math.max(0, Math.min(perAgent, nodes - i * perAgent)));
    let shards: { features: Float32Array; labels: Int32Array }[] = [];
    if (kind === 'peer' && nodes > 0) {
      const digits = options.digits ?? 50;
      const { train } = await mnistSplit();
      const parts = partition({ kind: 'iid' }, train.labels.subarray(0, nodes * digits), 10, nodes, 7);
      shards = parts.map((rows) => subset(train, rows));
    }
    log(`starting ${nodes} ${kind === 'peer' ? 'peers' : 'idle hosts'} in ${agentCount} ${options.agent === 'worker' ? 'worker thread' : 'process'}(es)…`);
    const ready = await Promise.all(
      agents.map((agent, i) => {
        const first = i * perAgent;
        if (kind === 'idle') return agent.request({ type: 'init', kind, first, count: counts[i]! }, 'ready');
        const mine = shards.slice(first, first + counts[i]!);
        const message: ToAgent = {
          type: 'init',
          kind,
          first,
          shards: mine,
          dir,
          task,
          taskHash: taskHash(task),
          ...(options.presenceIntervalMs === undefined ? {} : { presenceIntervalMs: options.presenceIntervalMs }),
          trace: options.trace ?? false,
        };
        return agent.request(message, 'ready', mine.flatMap((shard) => [shard.features.buffer as ArrayBuffer, shard.labels.buffer as ArrayBuffer]));
      }),
    );
    const ids = ready.flatMap((r) => r.ids);
    const addresses = ready.flatMap((r) => r.addresses);
    if (nodes > 0) {
      log('connecting every pair…');
      await Promise.all(agents.map((agent) => agent.request({ type: 'connect', addresses }, 'connected')));
      await Promise.all(agents.map((agent) => agent.request({ type: 'start', total: nodes }, 'started')));
    }
    return {
      ids,
      marks,
      warnings,
      untilRound(round, timeoutMs = 120_000) {
        const done = () => adopted.size === nodes && [...adopted.values()].every((r) => r >= round);
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => {
            wake = undefined;
            reject(new Error(`round ${round} not adopted by all ${nodes} peers within ${timeoutMs / 1000} s (${[...adopted.values()].filter((r) => r >= round).length} did); warnings: ${warnings.slice(-5).join(' | ')}`));
          }, timeoutMs);
          wake = () => {
            if (!done()) return;
            clearTimeout(timer);
            wake = undefined;
            resolve();
          };
          wake();
        });
      },
      memory: () => Promise.all(agents.map(async (agent) => (await agent.request({ type: 'memory' }, 'memory')).memory)),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
