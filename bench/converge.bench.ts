/**
 * Convergence: rounds and bytes received per peer until the mean test accuracy over peers
 * reaches 0.92, MNIST 2NN (`mlp`), 100 simulated peers, IID and Dirichlet 0.5 — our `curator`
 * mode against the `fedavg` server baseline and `gossip` mode, in one scenario (same shards,
 * seed and task: C = 0.1, E = 5, B = 10, adam 3e-3, int8 deltas). Gossip trains every peer every
 * period, so it gets fewer rounds; when a line never reaches the target, its bytes by its last
 * round are the bound reported.
 */
import { selectBackend } from '../node/learn/backend.ts';
import type { SimRound } from '../sim/run.ts';
import { runScenario, type AlgorithmRun } from '../sim/scenario-run.ts';
import { parseScenario } from '../sim/scenario.ts';
import { round } from './measure.ts';
import type { Bench, BenchOptions, BenchResult } from './types.ts';

const TARGET = 0.92;

function scenarioText(smoke: boolean): string {
  // Smoke: one round of one epoch (gossip trains every peer, the whole training set, each round).
  const peers = smoke ? 10 : 100;
  const rounds = smoke ? 1 : 40;
  const gossipRounds = smoke ? 1 : 12;
  const epochs = smoke ? 1 : 5;
  const partitions = { iid: '{ kind: iid }', 'dirichlet 0.5': '{ kind: dirichlet, alpha: 0.5 }' };
  const lines = Object.entries(partitions).flatMap(([name, spec]) => [
    `  - { algorithm: curator, label: curator ${name}, partition: ${spec} }`,
    `  - { algorithm: fedavg, label: fedavg ${name}, partition: ${spec} }`,
    `  - { algorithm: gossip, label: gossip ${name}, partition: ${spec}, task: { stopping: { rounds: ${gossipRounds} } } }`,
  ]);
  return `
name: converge-bench
seed: 1
peers: ${peers}
data: { builtin: mnist }
task:
  model: { preset: mlp }
  training: { epochs: ${epochs}, batchSize: 10, optimizer: adam, learningRate: 0.003 }
  cohort: { fraction: 0.1 }
  stopping: { rounds: ${rounds} }
  timing: { collectionWindowMs: 10000, curatorDeadlineMs: 30000 }
algorithms:
${lines.join('\n')}
evaluation: { testSamples: ${smoke ? 200 : 2000} }
`;
}

interface Line {
  readonly label: string;
  readonly rounds: number;
  readonly finalAccuracy: number;
  readonly reachedTarget: boolean;
  /** Rounds to the target, or the rounds run when it was not reached. */
  readonly roundsToTarget: number;
  /** Bytes received per peer by the target round (or by the last round). */
  readonly bytesPerPeerToTarget: number;
  readonly wallSeconds: number;
}

function lineOf(run: AlgorithmRun): Line {
  const reached: SimRound | undefined = run.rounds.find((r) => r.peerAccuracy.mean >= TARGET);
  const last = run.rounds.at(-1)!;
  const at = reached ?? last;
  return {
    label: run.label,
    rounds: run.rounds.length,
    finalAccuracy: round(last.peerAccuracy.mean, 4),
    reachedTarget: reached !== undefined,
    roundsToTarget: at.round,
    bytesPerPeerToTarget: Math.round(at.bytesPerPeer),
    wallSeconds: round(run.seconds, 3),
  };
}

async function run({ smoke, log }: BenchOptions): Promise<BenchResult> {
  await selectBackend();
  const scenario = parseScenario(scenarioText(smoke), 'converge bench');
  const runs = await runScenario(scenario, {
    onRound: (variant, r) => log(`${variant.label}: round ${r.round}, accuracy ${r.peerAccuracy.mean.toFixed(3)}`),
  });
  const lines = runs.map(lineOf);
  const byLabel = new Map(lines.map((line) => [line.label, line]));
  const comparisons = ['iid', 'dirichlet 0.5'].map((partition) => {
    const [ours, fedavg, gossip] = ['curator', 'fedavg', 'gossip'].map((algorithm) => byLabel.get(`${algorithm} ${partition}`)!) as [Line, Line, Line];
    return {
      partition,
      roundsVsFedavg: round(ours.roundsToTarget / fedavg.roundsToTarget, 3),
      bytesVsGossip: round(ours.bytesPerPeerToTarget / gossip.bytesPerPeerToTarget, 3),
      oursReached: ours.reachedTarget,
      fedavgReached: fedavg.reachedTarget,
      gossipReached: gossip.reachedTarget,
    };
  });
  const reach = (line: Line) => (line.reachedTarget ? String(line.roundsToTarget) : `not in ${line.rounds}`);
  return {
    summary:
      `Rounds and MiB received per peer until the mean test accuracy reaches ${TARGET}: MNIST mlp, ${scenario.peers} peers, IID and Dirichlet 0.5, ` +
      'curator vs the fedavg server vs gossip mode on the same shards and task (C=0.1, E=5, B=10, adam 3e-3, int8 deltas). A line that never reaches the target reports its last round.',
    tables: [
      {
        title: `to ${TARGET} test accuracy`,
        columns: ['line', 'rounds run', 'rounds to target', 'MiB/peer to target', 'final accuracy', 'wall s'],
        rows: lines.map((line) => [line.label, line.rounds, reach(line), round(line.bytesPerPeerToTarget / 2 ** 20, 3), line.finalAccuracy, line.wallSeconds]),
      },
      {
        title: 'ratios (ours / baseline)',
        columns: ['partition', 'rounds vs fedavg', 'bytes vs gossip'],
        rows: comparisons.map((c) => [c.partition, c.roundsVsFedavg, c.bytesVsGossip]),
      },
    ],
    figures: { target: TARGET, lines, comparisons },
    goals: comparisons.flatMap((c) => [
      {
        goal: `${c.partition}: rounds to ${TARGET} ≤ 1.1 × fedavg`,
        measured: `${c.roundsVsFedavg} ×${c.oursReached && c.fedavgReached ? '' : ' (target not reached by every line)'}`,
        met: c.oursReached && c.roundsVsFedavg <= 1.1,
      },
      {
        goal: `${c.partition}: bytes per peer to ${TARGET} ≤ 0.5 × gossip`,
        measured: `${c.bytesVsGossip} ×${c.gossipReached ? '' : ' (gossip did not reach the target: against its bytes by its last round)'}`,
        met: c.oursReached && c.bytesVsGossip <= 0.5,
      },
    ]),
  };
}

const bench: Bench = { name: 'converge', description: 'MNIST mlp, 100 peers: rounds and bytes to 0.92 — curator vs fedavg vs gossip', run };
export default bench;
