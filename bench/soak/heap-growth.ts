/**
 * Where a simulator soak's V8 heap grows: `node --expose-gc bench/soak/heap-growth.ts [PEERS]
 * [ROUNDS]` runs a protocol-only federation (sim/run.ts, synthetic learning: no TF.js) and
 * samples allocations with V8's sampling heap profiler from the middle round to the last; the
 * objects sampled then and still alive at the end (after full collections) are what the second
 * half kept. Prints them grouped by the innermost project frames that allocated them.
 */
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
import { validateTaskManifest } from '../../node/task/manifest.ts';
import { simulate } from '../../sim/run.ts';
import { MiB } from '../measure.ts';
import { ownMemory } from './series.ts';

interface ProfileNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly ProfileNode[];
}

const [peers = 50, rounds = 200] = process.argv.slice(2).map(Number);
const root = fileURLToPath(new URL('../../', import.meta.url));
const task = validateTaskManifest(
  {
    version: 1,
    id: 'soak-heap',
    model: { preset: 'mlp', seed: 1 },
    data: { builtin: 'mnist' },
    training: { epochs: 1, batchSize: 10, optimizer: 'sgd', learningRate: 0.05 },
    cohort: { fraction: 0.2, minPeers: 2 },
    aggregation: { strategy: 'fedavg' },
    timing: { collectionWindowMs: 10_000, curatorDeadlineMs: 20_000, maxBlobBytes: 16 * 1024 * 1024 },
    stopping: { rounds },
    encoding: 'int8',
    mode: 'curator',
  },
  'heap growth task',
);

const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');
let sampling: Promise<unknown> | undefined;
let stopped: Promise<unknown> | undefined;
let heapAtMiddle = 0;
let heapAtEnd = 0;
const started = performance.now();
const run = await simulate({
  task,
  protocolOnly: { peers, deltaBytes: 200_000, versionBytes: 800_000, samplesPerPeer: 160 },
  seed: 1,
  latency: { kind: 'constant', ms: 20 },
  maxVirtualMs: 24 * 3_600_000,
  // Sampling stops at the last round, before the peers are stopped (their shutdown is not growth).
  onRound: (r) => {
    if (r.round === Math.floor(rounds / 2)) {
      heapAtMiddle = ownMemory().heapUsed;
      sampling = session.post('HeapProfiler.startSampling', { samplingInterval: 512, includeObjectsCollectedByMajorGC: false, includeObjectsCollectedByMinorGC: false });
    } else if (r.round === rounds) {
      heapAtEnd = ownMemory().heapUsed;
      stopped = session.post('HeapProfiler.stopSampling');
    }
  },
});
await sampling;
if (stopped === undefined) throw new Error(`the run ended after ${run.rounds.length} of ${rounds} rounds: nothing to report`);
const { profile } = (await stopped) as unknown as { profile: { head: ProfileNode } };
session.disconnect();

/** Live bytes by the innermost (up to three) frames in this project's code (sim/, node/, protocols/). */
const bySite = new Map<string, number>();
const visit = (node: ProfileNode, stack: readonly string[]): void => {
  const { url, functionName, lineNumber } = node.callFrame;
  const ours = url.startsWith('file://') && !url.includes('node_modules') ? `${functionName || '(anonymous)'} ${fileURLToPath(url).replace(root, '')}:${lineNumber + 1}` : undefined;
  const here = ours === undefined ? stack : [...stack, ours];
  if (node.selfSize > 0) {
    const site = here.slice(-3).reverse().join(' ← ') || '(outside project code)';
    bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
  }
  for (const child of node.children) visit(child, here);
};
visit(profile.head, []);
const total = [...bySite.values()].reduce((sum, bytes) => sum + bytes, 0);
console.log(
  `${peers} protocol-only peers × ${run.rounds.length} rounds in ${((performance.now() - started) / 1000).toFixed(0)} s; V8 heap after full GCs ${(heapAtMiddle / MiB).toFixed(2)} MiB at round ${Math.floor(rounds / 2)}, ${(heapAtEnd / MiB).toFixed(2)} MiB at the end`,
);
console.log(`live objects allocated in the second half (sampled): ${(total / MiB).toFixed(2)} MiB, by allocation site:`);
for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`${(bytes / 1024).toFixed(0).padStart(8)} KiB  ${site}`);
process.exit(0);
