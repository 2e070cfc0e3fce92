import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { selectBackend } from '../../node/learn/backend.ts';
import { PartitionedData, runScenario } from '../../sim/scenario-run.ts';
import { PLOT_FILES, redrawPlots, writeScenarioReport } from '../../sim/scenario-report.ts';
import { parseScenario } from '../../sim/scenario.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const SCENARIO = `
name: tiny-comparison
seed: 3
peers: 4
data: { builtin: mnist }
partition: { kind: dirichlet, alpha: 0.5 }
task:
  model: { preset: logreg }
  training: { epochs: 1, batchSize: 32 }
  stopping: { rounds: 2 }
  timing: { collectionWindowMs: 2000, curatorDeadlineMs: 3000 }
algorithms: [curator, gossip, fedavg]
network: { latency: { kind: uniform, min: 5, max: 50 } }
evaluation: { testSamples: 300 }
`;

async function runTo(dir: string, seed?: number) {
  const scenario = parseScenario(SCENARIO, 'tiny.yaml');
  const runs = await runScenario(scenario, seed === undefined ? {} : { seed });
  await writeScenarioReport(dir, scenario, seed ?? scenario.seed, runs);
  return runs;
}

describe('scenario runs', () => {
  it('compares every algorithm on the same data and writes the same CSV for the same seed', async () => {
    await selectBackend();
    const [a, b, c] = await Promise.all([0, 1, 2].map(() => mkdtemp(join(tmpdir(), 'gossipfl-sim-'))));
    dirs.push(a!, b!, c!);
    const runs = await runTo(a!);
    expect(runs.map((run) => run.algorithm)).toEqual(['curator', 'gossip', 'fedavg']);
    expect(runs.map((run) => run.label)).toEqual(['curator', 'gossip', 'fedavg']);
    for (const run of runs) for (const round of run.rounds) expect(round.time).toBeGreaterThan(0);
    for (const run of runs) expect(run.rounds.map((r) => r.round)).toEqual([1, 2]);
    await runTo(b!);
    const csv = await readFile(join(a!, 'rounds.csv'));
    expect(await readFile(join(b!, 'rounds.csv'))).toEqual(csv);
    expect(csv.toString().split('\n')[0]).toBe('algorithm,round,virtual_time_ms,accuracy,accuracy_min,accuracy_mean,accuracy_max,consensus_distance,honest_delta_norm,bytes_per_peer,messages,curator,contributors,failed_transfers,curator_crashed');
    expect(csv.toString().trim().split('\n')).toHaveLength(1 + 3 * 2);
    await runTo(c!, 4);
    expect(await readFile(join(c!, 'rounds.csv'))).not.toEqual(csv);

    const svg = await readFile(join(a!, 'accuracy.svg'), 'utf8');
    expect(svg).toContain('curator');
    expect(svg).toContain('fedavg');
    await rm(join(a!, 'accuracy.svg'));
    await redrawPlots(a!);
    expect(await readFile(join(a!, 'accuracy.svg'), 'utf8')).toBe(svg);
  });

  it('a fedavg line under message loss: lost deltas counted so far, the model unchanged, each round waits out the collection window', async () => {
    await selectBackend();
    const scenario = parseScenario(
      `
name: tiny-lossy-fedavg
peers: 4
data: { builtin: mnist }
network: { dropProbability: 1 }
task:
  model: { preset: logreg }
  cohort: { fraction: 0.5 }
  stopping: { rounds: 2 }
  timing: { collectionWindowMs: 2000, curatorDeadlineMs: 3000 }
algorithms: [fedavg]
evaluation: { testSamples: 100 }
`,
      'tiny-lossy.yaml',
    );
    const [run] = await runScenario(scenario);
    expect(run!.rounds.map((r) => [r.contributors.length, r.failedTransfers, r.time])).toEqual([
      [0, 2, 2000],
      [0, 4, 4000],
    ]);
    expect(run!.rounds[1]!.accuracy).toBe(run!.rounds[0]!.accuracy);
  });

  it('runs labelled variants on shared partitions; the CSV and the plots name each line by its label', async () => {
    await selectBackend();
    const scenario = parseScenario(
      `
name: tiny-variants
seed: 5
peers: 4
data: { builtin: mnist }
partition: iid
task:
  model: { preset: logreg }
  training: { epochs: 1, batchSize: 32 }
  cohort: { fraction: 0.5 }
  stopping: { rounds: 2 }
algorithms:
  - { algorithm: fedavg, label: fedavg iid }
  - { algorithm: fedavg, label: "fedavg iid again" }
  - { algorithm: fedavg, label: fedavg shards, partition: { kind: shards } }
  - { algorithm: fedavg, label: fedavg E=2, task: { training: { epochs: 2 } } }
evaluation: { testSamples: 200 }
`,
      'tiny-variants.yaml',
    );
    const runs = await runScenario(scenario);
    expect(runs.map((run) => run.label)).toEqual(['fedavg iid', 'fedavg iid again', 'fedavg shards', 'fedavg E=2']);
    const [iid, again, shards, twoEpochs] = runs;
    // Same partition, seed and task: the very same shards and cohorts, so the very same numbers.
    expect(again!.rounds).toEqual(iid!.rounds);
    expect(shards!.rounds.map((r) => r.accuracy)).not.toEqual(iid!.rounds.map((r) => r.accuracy));
    expect(twoEpochs!.rounds.map((r) => r.contributors)).toEqual(iid!.rounds.map((r) => r.contributors));
    expect(twoEpochs!.rounds[0]!.time).toBeGreaterThan(iid!.rounds[0]!.time);

    const data = await PartitionedData.load(scenario, 5);
    expect(data.shards({ kind: 'iid' })).toBe(data.shards({ kind: 'iid' }));
    expect(data.shards({ kind: 'shards', shardsPerClient: 2 })).not.toBe(data.shards({ kind: 'iid' }));
    expect(data.shards({ kind: 'iid' })).toHaveLength(4);

    const dir = await mkdtemp(join(tmpdir(), 'gossipfl-sim-'));
    dirs.push(dir);
    await writeScenarioReport(dir, scenario, 5, runs);
    const lines = (await readFile(join(dir, 'rounds.csv'), 'utf8')).trim().split('\n').slice(1);
    expect(lines.map((line) => line.split(',')[0])).toEqual(['fedavg iid', 'fedavg iid', 'fedavg iid again', 'fedavg iid again', 'fedavg shards', 'fedavg shards', 'fedavg E=2', 'fedavg E=2']);
    const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as { algorithms: { label: string; algorithm: string }[] };
    expect(summary.algorithms.map((a) => [a.label, a.algorithm])).toEqual(runs.map((run) => [run.label, 'fedavg']));
    const svgs = await Promise.all(PLOT_FILES.map((file) => readFile(join(dir, file), 'utf8')));
    for (const svg of svgs) for (const run of runs) expect(svg).toContain(`>${run.label}<`);
    await redrawPlots(dir);
    expect(await Promise.all(PLOT_FILES.map((file) => readFile(join(dir, file), 'utf8')))).toEqual(svgs);

    // Columns are found by name: a report written before a column existed still redraws; one
    // without the plotted columns says which are missing.
    const csv = await readFile(join(dir, 'rounds.csv'), 'utf8');
    const dropLast = (text: string) => text.split('\n').map((line) => line.split(',').slice(0, -1).join(',')).join('\n');
    await writeFile(join(dir, 'rounds.csv'), dropLast(csv));
    await redrawPlots(dir);
    expect(await Promise.all(PLOT_FILES.map((file) => readFile(join(dir, file), 'utf8')))).toEqual(svgs);
    await writeFile(join(dir, 'rounds.csv'), csv.replace('accuracy_mean', 'mean'));
    await expect(redrawPlots(dir)).rejects.toThrow(/rounds\.csv does not have the simulator's columns \(missing accuracy_mean\)/);
  });
});
