/**
 * `gossipfl sim run SCENARIO` and `gossipfl sim plot DIR`: the simulator from the command line.
 */
import { join } from 'node:path';
import { describeBackend, selectBackend } from '../learn/backend.ts';
import { runScenario } from '../../sim/scenario-run.ts';
import { PLOT_FILES, redrawPlots, writeScenarioReport } from '../../sim/scenario-report.ts';
import { readScenario } from '../../sim/scenario.ts';
import { CliError, USAGE_EXIT_CODE, parseNumberOption, parseOptions, type Command } from './command.ts';

const HELP = [
  'Usage: gossipfl sim run SCENARIO.yaml [--seed N] [--out DIR]',
  '       gossipfl sim plot DIR',
  '',
  'run: simulates the scenario — every line it lists under algorithms (curator, gossip on the real',
  '     round engine in virtual time; fedavg, the fixed-server baseline; each with its own',
  '     overrides) on the same data and seed — and writes rounds.csv, summary.json and the plots',
  '     accuracy.svg, accuracy-vs-bytes.svg, accuracy-vs-time.svg (a line per entry, by its label)',
  '     to DIR',
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
      process.stdout.write(`redrew ${PLOT_FILES.map((file) => join(positionals[0]!, file)).join(', ')}\n`);
      return 0;
    }
    if (action !== 'run') throw new CliError(`sim: unknown action "${action ?? ''}"; use run or plot\n\n${HELP}`, USAGE_EXIT_CODE);
    const { values, positionals } = parseOptions('sim run', rest, { seed: { type: 'string' }, out: { type: 'string' } }, true);
    if (positionals.length !== 1) throw new CliError('sim run: give exactly one scenario file', USAGE_EXIT_CODE);
    const scenario = await readScenario(positionals[0]!);
    const seed = parseNumberOption('sim run', 'seed', values.seed, (n) => Number.isInteger(n) && n >= 0, 'a whole number ≥ 0') ?? scenario.seed;
    const out = values.out ?? join('reports', `sim-${scenario.name}-seed${seed}`);
    process.stdout.write(`${describeBackend(await selectBackend())}\n`);
    const total = scenario.algorithms.reduce((sum, variant) => sum + (variant.task.stopping.rounds ?? 30), 0);
    const width = Math.max(...scenario.algorithms.map((variant) => variant.label.length));
    let done = 0;
    const started = performance.now();
    const runs = await runScenario(scenario, {
      seed,
      onRound: (variant, round) => {
        done++;
        const elapsed = (performance.now() - started) / 1000;
        const eta = (elapsed / done) * Math.max(0, total - done);
        const time = Number.isNaN(round.time) ? '' : `  virtual ${(round.time / 1000).toFixed(1)} s`;
        process.stdout.write(
          `[${String(done).padStart(String(total).length)}/${total}] ${variant.label.padEnd(width)} round ${String(round.round).padStart(3)}  ` +
            (Number.isNaN(round.peerAccuracy.mean)
              ? `${round.contributors.length} contributors  ${round.messages} messages  `
              : `accuracy ${(round.peerAccuracy.mean * 100).toFixed(2)}% (min ${(round.peerAccuracy.min * 100).toFixed(1)}%)  `) +
            `${(round.bytesPerPeer / 1024 / 1024).toFixed(2)} MiB/peer${time}  ETA ${eta.toFixed(0)} s\n`,
        );
      },
    });
    await writeScenarioReport(out, scenario, seed, runs);
    process.stdout.write(`report: ${out} (rounds.csv, summary.json, ${PLOT_FILES.join(', ')})\n`);
    return 0;
  },
};
