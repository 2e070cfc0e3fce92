/**
 * `gossipfl evaluate MODEL.json`: accuracy and loss of a TF.js layers model on labelled data
 * (a CSV/JSONL file through the data gate, or the built-in MNIST test digits).
 */
import { selectBackend } from '../learn/backend.ts';
import type { Dataset } from '../learn/data/dataset.ts';
import { loadTabular } from '../learn/data/gate.ts';
import { mnistSplit } from '../learn/data/mnist.ts';
import type { DataSchema } from '../learn/data/schema.ts';
import { checkModelShape, modelInputWidth } from '../learn/model.ts';
import { loadModelFile } from '../learn/model-io.ts';
import { evaluate } from '../learn/trainer.ts';
import { taskDataSchema } from '../task/manifest.ts';
import { readSignedTask } from '../task/signing.ts';
import { CliError, parseOptions, USAGE_EXIT_CODE, type Command } from './command.ts';

const HELP = [
  'Usage: gossipfl evaluate MODEL.json (--mnist-test | --data FILE (--task SIGNED | --label COL --classes A,B,…)) [--json]',
  '',
  'Evaluates a TF.js layers model (e.g. from `gossipfl export`) and prints its accuracy and',
  'mean cross-entropy loss. The data goes through the data gate: every problem is listed.',
  '',
  'Options:',
  '  --mnist-test          the 2,000 built-in MNIST test digits (never used for training)',
  '  --data FILE           a CSV or JSONL file with a label column',
  '  --task SIGNED         take the data schema from this signed task',
  '  --label COL           the label column (instead of --task)',
  '  --classes A,B,…       the labels in class order, as the model was trained (with --label)',
  '  --json                print {accuracy, loss, samples} as JSON',
].join('\n');

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'print a TF.js model\'s accuracy and loss on labelled data',
  help: HELP,
  async run(args) {
    const { values, positionals } = parseOptions(
      'evaluate',
      args,
      { data: { type: 'string' }, task: { type: 'string' }, label: { type: 'string' }, classes: { type: 'string' }, 'mnist-test': { type: 'boolean' }, json: { type: 'boolean' } },
      true,
    );
    const [modelPath, ...extra] = positionals;
    if (modelPath === undefined || extra.length > 0) throw new CliError('evaluate: give exactly one MODEL.json (see gossipfl evaluate --help)', USAGE_EXIT_CODE);
    if ((values['mnist-test'] === true) === (values.data !== undefined)) throw new CliError('evaluate: give either --mnist-test or --data FILE (see gossipfl evaluate --help)', USAGE_EXIT_CODE);
    await selectBackend();
    const model = await loadModelFile(modelPath);
    try {
      let dataset: Dataset;
      if (values['mnist-test'] === true) {
        dataset = (await mnistSplit()).test;
      } else {
        let schema: DataSchema;
        if (values.task !== undefined) {
          schema = taskDataSchema((await readSignedTask(values.task)).manifest);
        } else {
          if (values.label === undefined || values.classes === undefined) throw new CliError('evaluate: with --data give --task SIGNED, or both --label COL and --classes A,B,…', USAGE_EXIT_CODE);
          const classes = values.classes.split(',').map((c) => c.trim()).filter((c) => c !== '');
          const featureCount = modelInputWidth(model);
          if (Number.isNaN(featureCount)) throw new CliError(`evaluate: ${modelPath} has no fixed input width; use --task SIGNED`);
          schema = { labelColumn: values.label, classes, featureCount, minSamples: 1 };
        }
        dataset = await loadTabular(values.data!, schema);
      }
      checkModelShape(model, { featureCount: dataset.featureCount, classCount: dataset.classCount }, modelPath);
      const metrics = evaluate(model, dataset);
      if (values.json === true) process.stdout.write(`${JSON.stringify({ model: modelPath, data: dataset.name, samples: metrics.samples, accuracy: metrics.accuracy, loss: metrics.loss }, null, 2)}\n`);
      else process.stdout.write(`accuracy ${(metrics.accuracy * 100).toFixed(2)}%  loss ${metrics.loss.toFixed(4)}  on ${metrics.samples} samples (${dataset.name})\n`);
      return 0;
    } finally {
      model.dispose();
    }
  },
};
