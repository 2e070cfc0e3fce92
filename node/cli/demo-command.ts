/**
 * `gossipfl demo` (what `npm start` runs): a real peer-to-peer federation on this machine —
 * N peers on loopback TCP with noise, MNIST split with Dirichlet label skew, curators elected
 * round by round — with a live line per round and a report folder at the end.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeBackend, selectBackend } from '../learn/backend.ts';
import { runDemo, type DemoResult, type DemoRound } from '../demo/federation.ts';
import { saveModelFolder } from '../learn/model-io.ts';
import { writeRunReport } from '../report/index.ts';
import { CliError, USAGE_EXIT_CODE, parseNumberOption, parseOptions, type Command } from './command.ts';

const DEFAULTS = { peers: 8, alpha: 0.5, rounds: 30, target: 0.92, seed: 1 } as const;
const isPositiveInteger = (n: number) => Number.isInteger(n) && n >= 1;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

function progressBar(done: number, total: number, width = 20): string {
  const filled = Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

function formatRound(round: DemoRound, maxRounds: number, names: Map<string, string>): string {
  return [
    `${progressBar(round.round, maxRounds)} round ${String(round.round).padStart(2)}/${maxRounds}`,
    `curator ${names.get(round.head.curator ?? '') ?? '(merge)'}`,
    `contributors ${round.head.contributors.length}`,
    `samples ${round.samples}`,
    `test accuracy ${(round.accuracy * 100).toFixed(2)}%`,
    `moved ${mib(round.bytes)}`,
    `${round.seconds.toFixed(1)} s`,
  ].join('  ');
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'a real peer-to-peer federation on this machine, on the built-in MNIST digits',
  help: [
    'Usage: gossipfl demo [options]',
    '',
    'Starts N peers in this process, each a libp2p host on loopback TCP (noise, yamux,',
    'gossipsub), each holding its own Dirichlet share of the 8,000 built-in MNIST training',
    'digits. Each round every peer trains the mlp preset (784-200-200-10) locally, advertises',
    'its int8 delta, and the elected curator pulls, validates and averages them into the next',
    'version, which every peer pulls. The 2,000 held-out digits measure each version.',
    'Stops at the target accuracy or the round limit; Ctrl-C stops early. Writes a report',
    'folder (rounds.csv, accuracy plots, provenance history, the final model).',
    '',
    'Options:',
    `  --peers N       peers (default ${DEFAULTS.peers})`,
    `  --alpha A       Dirichlet label-skew alpha; smaller is more skewed (default ${DEFAULTS.alpha})`,
    `  --rounds N      most rounds (default ${DEFAULTS.rounds})`,
    `  --target ACC    stop at this test accuracy, 0..1 (default ${DEFAULTS.target})`,
    `  --seed N        seed for the split and the initial model (default ${DEFAULTS.seed})`,
    '  --out DIR       report folder (default reports/demo-<date>)',
    '  --keep-data     keep the peers\' data folders (identities, stores) in DIR/peers',
  ].join('\n'),
  async run(args) {
    const { values } = parseOptions('demo', args, {
      peers: { type: 'string' }, alpha: { type: 'string' }, rounds: { type: 'string' }, target: { type: 'string' },
      seed: { type: 'string' }, out: { type: 'string' }, 'keep-data': { type: 'boolean' },
    });
    const number = (flag: keyof typeof DEFAULTS, check: (n: number) => boolean, expected: string) =>
      parseNumberOption('demo', flag, values[flag], check, expected) ?? DEFAULTS[flag];
    const peers = number('peers', (n) => isPositiveInteger(n) && n >= 2 && n <= 64, 'a whole number from 2 to 64');
    const alpha = number('alpha', (n) => n > 0, 'a positive number');
    const maxRounds = number('rounds', isPositiveInteger, 'a whole number ≥ 1');
    const target = number('target', (n) => n > 0 && n <= 1, 'a number in (0, 1]');
    const seed = number('seed', Number.isInteger, 'a whole number');
    if (values.out === '') throw new CliError('demo: --out needs a folder', USAGE_EXIT_CODE);

    const backend = await selectBackend();
    process.stdout.write(`${describeBackend(backend)}\n`);
    const out = values.out ?? join('reports', `demo-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    const dataDir = await mkdtemp(join(tmpdir(), 'gossipfl-demo-'));
    const stop = new AbortController();
    const onInterrupt = () => {
      process.stdout.write('\nstopping the federation (Ctrl-C again to quit at once)\n');
      stop.abort();
      process.off('SIGINT', onInterrupt);
      process.off('SIGTERM', onInterrupt);
    };
    process.on('SIGINT', onInterrupt);
    process.on('SIGTERM', onInterrupt);
    const names = new Map<string, string>();
    try {
      process.stdout.write(`starting ${peers} peers on loopback TCP (MNIST, Dirichlet alpha ${alpha})…\n`);
      const result = await runDemo({
        dir: dataDir,
        peers,
        alpha,
        maxRounds,
        target,
        seed,
        signal: stop.signal,
        onRound: (round) => process.stdout.write(`${formatRound(round, maxRounds, names)}\n`),
        onLog: (peer, level, message) => {
          if (level === 'warn') process.stdout.write(`  ! ${names.get(peer) ?? peer}: ${message}\n`);
        },
        onStarted: (ids, sizes) => {
          ids.forEach((id, i) => names.set(id, `peer ${i}`));
          process.stdout.write(`peers up: ${ids.map((id, i) => `peer ${i} ${id.slice(-6)} (${sizes[i]} digits)`).join(', ')}\n`);
        },
      });
      try {
        const last = result.rounds.at(-1);
        const totalBytes = result.rounds.reduce((sum, r) => sum + r.bytes, 0);
        if (last === undefined) {
          process.stdout.write('stopped before the first round completed\n');
        } else {
          const verdict = last.accuracy >= target ? 'reached' : 'did not reach';
          process.stdout.write(
            `${verdict} ${(target * 100).toFixed(0)}% test accuracy: ${(last.accuracy * 100).toFixed(2)}% after ${last.round} rounds in ${last.seconds.toFixed(1)} s; ` +
              `${new Set(result.rounds.map((r) => r.head.curator)).size} distinct curators; ${mib(totalBytes)} moved\n`,
          );
        }
        if (result.rounds.length > 0) {
          await writeReport(out, result, backend.name, target, names);
          process.stdout.write(`report: ${out} (rounds.csv, accuracy.svg, accuracy-vs-bytes.svg, history.txt, summary.json, model/)\n`);
        }
      } finally {
        result.judge.dispose();
      }
      return stop.signal.aborted ? 130 : 0;
    } finally {
      process.off('SIGINT', onInterrupt);
      process.off('SIGTERM', onInterrupt);
      if (values['keep-data'] !== true) await rm(dataDir, { recursive: true, force: true });
    }
  },
};

async function writeReport(out: string, result: DemoResult, backend: string, target: number, names: Map<string, string>): Promise<void> {
  const label = (peer: string | undefined) => (peer === undefined ? undefined : `${names.get(peer) ?? 'peer'} ${peer}`);
  await writeRunReport(out, {
    task: result.task.id,
    peers: result.peers.length,
    backend,
    modelFolder: 'model',
    createdAt: new Date().toISOString(),
    target,
    rounds: result.rounds.map((round) => ({
      round: round.round,
      seconds: round.seconds,
      ...(round.head.curator === undefined ? {} : { curator: label(round.head.curator)! }),
      contributors: round.head.contributors.length,
      samples: round.samples,
      testAccuracy: round.accuracy,
      testLoss: round.loss,
      bytes: round.bytes,
    })),
    history: result.history.map((record) => ({
      round: record.round,
      hash: record.hash,
      ...(record.parent === '' ? {} : { parent: record.parent }),
      ...(record.curator === undefined ? {} : { curator: label(record.curator)! }),
      contributors: record.contributors.map((c) => ({ peer: label(c.peer)!, delta: c.delta, samples: c.samples })),
      merged: record.merged,
    })),
  });
  if (result.finalBlob !== undefined) await saveModelFolder(result.judge.modelWith(result.finalBlob), join(out, 'model'));
}
