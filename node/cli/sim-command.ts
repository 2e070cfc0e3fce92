/**
 * `gossipfl sim run SCENARIO` and `gossipfl sim plot DIR`: the simulator from the command line.
 */
import { join } from 'node:path';
import { describeBackend, selectBackend } from '../learn/backend.ts';
import { runScenario } from '../../sim/scenario-run.ts';
import { redrawPlots, writeScenarioReport } from '../../sim/scenario-report.ts';
import { readScenario } from '../../sim/scenario.ts';
import { CliError, USAGE_EXIT_CODE, parseNumberOption, parseOptions, type Command } from './command.ts';

const HELP = [
  'Usage: gossipfl sim run SCENARIO.yaml [--seed N] [--out DIR]',
  '       gossipfl sim plot DIR',
  '',
  'run: simulates the scenario — every algorithm it lists (curator, gossip on the real round',
  '     engine in virtual time; fedavg, the fixed-server baseline) on the same data, partition and',
  '     seed — and writes rounds.csv, summary.json, accuracy.svg and accuracy-vs-bytes.svg to DIR',
  '     (default reports/sim-<scenario>-seed<N>). A line per round shows progress and an ETA.',
  'plot: redraws the SVG plots of a report folder from its rounds.csv.',
  '',
  'Options:',
  '  --seed N   overrides the scenario\'s seed (same scenario + seed → byte-identical CSV)',
  '  --out DIR  the report folder',
].join('\n');

export const simCommand: Command = {
  name: 'sim',
  summary: 'simulate a scenario (topologies, churn, latency) on the real round engine',
  help: HELP,
  async run(args) {
    const [action, ...rest] = args;
    if (action === 'plot') {
      const { positionals } = parseOptions('sim plot', rest, {}, true);
      if (positionals.length !== 1) throw new CliError('sim plot: give exactly one report folder', USAGE_EXIT_CODE);
      await redrawPlots(positionals[0]!);
      process.stdout.write(`redrew ${join(positionals[0]!, 'accuracy.svg')} and accuracy-vs-bytes.svg\n`);
      return 0;
    }
    if (action !== 'run') throw new CliError(`sim: unknown action "${action ?? ''}"; use run or plot\n\n${HELP}`, USAGE_EXIT_CODE);
    const { values, positionals } = parseOptions('sim run', rest, { seed: { type: 'string' }, out: { type: 'string' } }, true);
    if (positionals.length !== 1) throw new CliError('sim run: give exactly one scenario file', USAGE_EXIT_CODE);
    const scenario = await readScenario(positionals[0]!);
    const seed = parseNumberOption('sim run', 'seed', values.seed, (n) => Number.isInteger(n) && n >= 0, 'a whole number ≥ 0') ?? scenario.seed;
    const out = values.out ?? join('reports', `sim-${scenario.name}-seed${seed}`);
    process.stdout.write(`${describeBackend(await selectBackend())}\n`);
    const plannedRounds = scenario.task.stopping.rounds ?? 30;
    const total = plannedRounds * scenario.algorithms.length;
    let done = 0;
    const started = performance.now();
    const runs = await runScenario(scenario, {
      seed,
      onRound: (algorithm, round) => {
        done++;
        const elapsed = (performance.now() - started) / 1000;
        const eta = (elapsed / done) * (total - done);
        const time = Number.isNaN(round.time) ? '' : `  virtual ${(round.time / 1000).toFixed(1)} s`;
        process.stdout.write(
          `[${String(done).padStart(String(total).length)}/${total}] ${algorithm.padEnd(7)} round ${String(round.round).padStart(3)}  ` +
            `accuracy ${(round.peerAccuracy.mean * 100).toFixed(2)}% (min ${(round.peerAccuracy.min * 100).toFixed(1)}%)  ` +
            `${(round.bytesPerPeer / 1024 / 1024).toFixed(2)} MiB/peer${time}  ETA ${eta.toFixed(0)} s\n`,
        );
      },
    });
    await writeScenarioReport(out, scenario, seed, runs);
    process.stdout.write(`report: ${out} (rounds.csv, summary.json, accuracy.svg, accuracy-vs-bytes.svg)\n`);
    return 0;
  },
};
