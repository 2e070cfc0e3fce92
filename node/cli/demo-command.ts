/**
 * `gossipfl demo`: federated training on the built-in MNIST digits, split across clients
 * with Dirichlet label skew, printed round by round.
 *
 * For now the clients run in this one process around a fixed FedAvg server; the peer-to-peer
 * federation (elected curators over libp2p) replaces it as the network layer lands.
 */
import { STRATEGY_NAMES, createStrategy, isStrategyName } from '../aggregate/index.ts';
import { selectBackend, describeBackend } from '../learn/backend.ts';
import { subset } from '../learn/data/dataset.ts';
import { MNIST_CLASSES, MNIST_FEATURES, mnistSplit } from '../learn/data/mnist.ts';
import { partition } from '../learn/data/partition.ts';
import { createModel } from '../learn/model.ts';
import { OPTIMIZERS } from '../learn/trainer.ts';
import { ENCODINGS, isWeightsEncoding } from '../learn/weights/index.ts';

import { runFedAvg, type FedAvgRound } from '../../sim/baselines/fedavg.ts';
import { CliError, USAGE_EXIT_CODE, parseNumberOption, parseOptions, type Command } from './command.ts';

const DEFAULTS = { clients: 8, alpha: 0.5, rounds: 30, target: 0.92, fraction: 1, epochs: 1, batch: 32, lr: 0.003, seed: 1, encoding: 'int8', optimizer: 'adam', strategy: 'fedavg' } as const;

const isPositiveInteger = (n: number) => Number.isInteger(n) && n >= 1;

function formatRound(round: FedAvgRound, maxRounds: number): string {
  return [
    `round ${String(round.round).padStart(2)}/${maxRounds}`,
    `clients ${round.cohort.length}`,
    `samples ${round.samples}`,
    `test accuracy ${(round.accuracy * 100).toFixed(2)}%`,
    `loss ${round.loss.toFixed(3)}`,
    `uploaded ${(round.uploadBytes / 1024 / 1024).toFixed(2)} MiB`,
    `${round.seconds.toFixed(1)} s`,
  ].join('  ');
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'federated training on the built-in MNIST digits, round by round',
  help: [
    'Usage: gossipfl demo [options]',
    '',
    'Splits the 8,000 built-in MNIST training digits across clients with Dirichlet label',
    'skew, then trains the mlp preset (784-200-200-10) by federated averaging until the',
    'test accuracy (2,000 held-out digits) reaches the target or the rounds run out.',
    'Deltas are encoded as they would travel on the wire. Ctrl-C stops after the current client.',
    '',
    'Options:',
    `  --clients N     clients holding data (default ${DEFAULTS.clients})`,
    `  --alpha A       Dirichlet label-skew alpha; smaller is more skewed (default ${DEFAULTS.alpha})`,
    `  --rounds N      most rounds to run (default ${DEFAULTS.rounds})`,
    `  --target ACC    stop at this test accuracy, 0..1 (default ${DEFAULTS.target})`,
    `  --fraction C    share of clients training per round (default ${DEFAULTS.fraction})`,
    `  --epochs E      local epochs per round (default ${DEFAULTS.epochs})`,
    `  --batch B       local batch size (default ${DEFAULTS.batch})`,
    `  --optimizer O   local optimizer: ${OPTIMIZERS.join(', ')} (default ${DEFAULTS.optimizer})`,
    `  --lr RATE       local learning rate (default ${DEFAULTS.lr})`,
    `  --strategy S    server aggregation: ${STRATEGY_NAMES.join(', ')} (default ${DEFAULTS.strategy})`,
    `  --server-lr R   server learning rate for fedavgm / fedadam`,
    `  --encoding ENC  delta encoding: ${ENCODINGS.join(', ')} (default ${DEFAULTS.encoding})`,
    `  --seed N        seed for the split, the model and training (default ${DEFAULTS.seed})`,
  ].join('\n'),
  async run(args) {
    const { values } = parseOptions('demo', args, {
      clients: { type: 'string' }, alpha: { type: 'string' }, rounds: { type: 'string' }, target: { type: 'string' },
      fraction: { type: 'string' }, epochs: { type: 'string' }, batch: { type: 'string' }, lr: { type: 'string' },
      encoding: { type: 'string' }, seed: { type: 'string' }, optimizer: { type: 'string' },
      strategy: { type: 'string' }, 'server-lr': { type: 'string' },
    });
    const number = (flag: keyof typeof DEFAULTS & keyof typeof values, check: (n: number) => boolean, expected: string) =>
      parseNumberOption('demo', flag, values[flag], check, expected) ?? (DEFAULTS[flag] as number);
    const clients = number('clients', isPositiveInteger, 'a whole number ≥ 1');
    const alpha = number('alpha', (n) => n > 0, 'a positive number');
    const maxRounds = number('rounds', isPositiveInteger, 'a whole number ≥ 1');
    const target = number('target', (n) => n > 0 && n <= 1, 'a number in (0, 1]');
    const fraction = number('fraction', (n) => n > 0 && n <= 1, 'a number in (0, 1]');
    const epochs = number('epochs', isPositiveInteger, 'a whole number ≥ 1');
    const batchSize = number('batch', isPositiveInteger, 'a whole number ≥ 1');
    const learningRate = number('lr', (n) => n > 0, 'a positive number');
    const seed = number('seed', Number.isInteger, 'a whole number');
    const encoding = values.encoding ?? DEFAULTS.encoding;
    if (!isWeightsEncoding(encoding)) {
      throw new CliError(`demo: --encoding must be one of ${ENCODINGS.join(', ')}, got "${values.encoding}"`, USAGE_EXIT_CODE);
    }

    const optimizer = OPTIMIZERS.find((name) => name === (values.optimizer ?? DEFAULTS.optimizer));
    if (optimizer === undefined) {
      throw new CliError(`demo: --optimizer must be one of ${OPTIMIZERS.join(', ')}, got "${values.optimizer}"`, USAGE_EXIT_CODE);
    }

    const strategyName = values.strategy ?? DEFAULTS.strategy;
    if (!isStrategyName(strategyName)) {
      throw new CliError(`demo: --strategy must be one of ${STRATEGY_NAMES.join(', ')}, got "${strategyName}"`, USAGE_EXIT_CODE);
    }
    const serverLearningRate = parseNumberOption('demo', 'server-lr', values['server-lr'], (n) => n > 0, 'a positive number');
    const strategy = createStrategy(strategyName, serverLearningRate === undefined ? {} : { serverLearningRate });

    process.stdout.write(`${describeBackend(await selectBackend())}\n`);
    const { train, test } = await mnistSplit();
    if (clients > train.size) throw new CliError(`demo: --clients ${clients} is more than the ${train.size} training digits`, USAGE_EXIT_CODE);
    const shares = partition({ kind: 'dirichlet', alpha }, train.labels, MNIST_CLASSES, clients, seed);
    const clientData = shares.map((rows, i) => subset(train, rows, `client ${i}`));
    process.stdout.write(`MNIST: ${train.size} training digits over ${clients} clients (Dirichlet alpha ${alpha}: sizes ${clientData.map((d) => d.size).join(', ')}), ${test.size} test digits\n`);
    const model = await createModel({ kind: 'preset', preset: 'mlp' }, { featureCount: MNIST_FEATURES, classCount: MNIST_CLASSES }, seed);

    const stop = new AbortController();
    const onInterrupt = () => {
      process.stdout.write('\nstopping after the current client (Ctrl-C again to quit at once)\n');
      stop.abort();
      process.off('SIGINT', onInterrupt);
    };
    process.on('SIGINT', onInterrupt);
    try {
      const rounds = await runFedAvg(
        { model, clients: clientData, test, plan: { epochs, batchSize, learningRate, optimizer }, fraction, maxRounds, targetAccuracy: target, encoding, seed, strategy, signal: stop.signal },
        (round) => process.stdout.write(`${formatRound(round, maxRounds)}\n`),
      );
      const last = rounds.at(-1);
      if (last === undefined) {
        process.stdout.write('stopped before the first round finished\n');
        return stop.signal.aborted ? 130 : 1;
      }
      const reached = last.accuracy >= target;
      const totalBytes = rounds.reduce((sum, r) => sum + r.uploadBytes, 0);
      process.stdout.write(
        `${reached ? 'reached' : 'did not reach'} ${(target * 100).toFixed(0)}% test accuracy: ${(last.accuracy * 100).toFixed(2)}% after ${last.round} rounds, ${(totalBytes / 1024 / 1024).toFixed(1)} MiB of deltas uploaded\n`,
      );
      return stop.signal.aborted ? 130 : 0;
    } finally {
      process.off('SIGINT', onInterrupt);
      model.dispose();
    }
  },
};
