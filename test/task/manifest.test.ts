import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MNIST_SCHEMA } from '../../node/learn/data/mnist.ts';
import {
  TASK_DEFAULTS,
  TaskManifestError,
  parseTaskManifest,
  readTaskManifest,
  taskDataSchema,
  taskModelSpec,
} from '../../node/task/manifest.ts';

const MINIMAL_YAML = `
version: 1
id: tiny-task
model:
  preset: logreg
data:
  featureCount: 3
  classes: [a, b]
  labelColumn: y
stopping:
  rounds: 5
`;

function problemsOf(text: string): readonly string[] {
  try {
    parseTaskManifest(text, 'test.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(TaskManifestError);
    return (error as TaskManifestError).problems;
  }
  throw new Error('expected the manifest to be rejected');
}

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'gossipfl-task-'));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('parseTaskManifest', () => {
  it('parses a minimal YAML manifest and fills every default', () => {
    const manifest = parseTaskManifest(MINIMAL_YAML, 'tiny.yaml');
    expect(manifest).toEqual({
      version: 1,
      id: 'tiny-task',
      model: { preset: 'logreg', seed: 0 },
      data: { featureCount: 3, classes: ['a', 'b'], labelColumn: 'y', minSamples: 1 },
      training: { epochs: 1, batchSize: 32, learningRate: 0.003, optimizer: 'adam' },
      stopping: { rounds: 5 },
      cohort: { fraction: 1, minPeers: 2 },
      aggregation: { strategy: 'fedavg' },
      timing: { collectionWindowMs: 60_000, curatorDeadlineMs: 120_000, maxBlobBytes: 64 * 1024 * 1024 },
      encoding: 'int8',
      mode: 'curator',
    });
  });

  it('parses the same manifest written as JSON to the same value', () => {
    const json = JSON.stringify({
      stopping: { rounds: 5 },
      data: { labelColumn: 'y', classes: ['a', 'b'], featureCount: 3 },
      model: { preset: 'logreg' },
      id: 'tiny-task',
      version: 1,
    });
    expect(parseTaskManifest(json, 'tiny.json')).toEqual(parseTaskManifest(MINIMAL_YAML, 'tiny.yaml'));
  });

  it('picks the learning-rate default from the optimizer and server defaults from the strategy', () => {
    const sgd = parseTaskManifest(`${MINIMAL_YAML}training: { optimizer: sgd }\naggregation: { strategy: fedavgm }\n`, 'x');
    expect(sgd.training.learningRate).toBe(TASK_DEFAULTS.learningRate.sgd);
    expect(sgd.aggregation).toEqual({ strategy: 'fedavgm', serverLearningRate: 1, momentum: 0.9 });
    const adam = parseTaskManifest(`${MINIMAL_YAML}aggregation: { strategy: fedadam, maxDeltaNorm: 5 }\n`, 'x');
    expect(adam.aggregation).toEqual({ strategy: 'fedadam', serverLearningRate: 0.01, maxDeltaNorm: 5 });
  });

  it('turns integer class labels into strings', () => {
    const manifest = parseTaskManifest(MINIMAL_YAML.replace('[a, b]', '[0, 1]'), 'x');
    expect(taskDataSchema(manifest).classes).toEqual(['0', '1']);
  });

  it('reads the example manifests from disk', async () => {
    const mnist = await readTaskManifest(join(import.meta.dirname, '../../examples/tasks/mnist.yaml'));
    expect(mnist.id).toBe('mnist-2nn');
    expect(mnist.data).toEqual({ builtin: 'mnist' });
    expect(taskDataSchema(mnist)).toBe(MNIST_SCHEMA);
    expect(mnist.model).toEqual({ preset: 'mlp', seed: 1 });
    expect(mnist.training).toEqual({ epochs: 1, batchSize: 32, learningRate: 0.003, optimizer: 'adam' });
    expect(mnist.stopping).toEqual({ rounds: 30, targetAccuracy: 0.92 });
    expect(mnist.aggregation.strategy).toBe('fedavg');
    expect(mnist.encoding).toBe('int8');

    const iris = await readTaskManifest(join(import.meta.dirname, '../../examples/tasks/iris-like.yaml'));
    expect(iris.model).toEqual({ preset: 'logreg', seed: 7 });
    expect(taskDataSchema(iris)).toEqual({
      featureCount: 4,
      classes: ['setosa', 'versicolor', 'virginica'],
      labelColumn: 'species',
      featureColumns: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
      minSamples: 10,
    });
    expect(iris.mode).toBe('curator');
  });

  it('resolves a layers model path against the manifest folder, keeping it relative in the manifest', async () => {
    const path = join(folder, 'sub', 'task.yaml');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(folder, 'sub'));
    await writeFile(path, MINIMAL_YAML.replace('preset: logreg', 'layers: models/model.json\n  seed: 3'));
    const manifest = await readTaskManifest(path);
    expect(manifest.model).toEqual({ layers: 'models/model.json', seed: 3 });
    expect(taskModelSpec(manifest, path)).toEqual({ kind: 'layers', path: join(folder, 'sub', 'models', 'model.json') });
    expect(taskModelSpec(parseTaskManifest(MINIMAL_YAML, 'x'), path)).toEqual({ kind: 'preset', preset: 'logreg' });
  });

  it('reports a missing file as a manifest error naming the path', async () => {
    const path = join(folder, 'absent.yaml');
    await expect(readTaskManifest(path)).rejects.toThrow(/absent\.yaml.*ENOENT/s);
  });

  it('reports every problem, each with its field path', () => {
    const problems = problemsOf(`
version: 2
id: Bad_ID
model: { preset: cnn, seed: 1.5 }
data:
  featureCount: 0
  classes: [a]
  labelColumn: y
training:
  epochs: 1
  batchSize: 0
  learningRate: -1
  optimizer: rmsprop
stopping: {}
cohort: { fraction: 1.5, minPeers: 0 }
aggregation: { strategy: fedavg, momentum: 0.5 }
timing: { collectionWindowMs: 5000, curatorDeadlineMs: 1000 }
encoding: f64
mode: swarm
`);
    expect(problems).toEqual(
      expect.arrayContaining([
        'version: must be 1, got 2',
        'id: must be 3–64 characters of a-z, 0-9 and "-", starting with a letter or digit, got "Bad_ID"',
        'model.seed: must be a whole number, got 1.5',
        'model.preset: must be one of mlp, logreg, tabular-mlp, got "cnn"',
        'data.featureCount: must be a whole number ≥ 1, got 0',
        'data.classes: must be a list of at least 2 label values, got 1',
        'training.optimizer: must be one of sgd, adam, got "rmsprop"',
        'stopping: give "rounds", "targetAccuracy", or both',
        'cohort.fraction: must be a number in (0, 1], got 1.5',
        'cohort.minPeers: must be a whole number ≥ 1, got 0',
        'aggregation.momentum: applies to fedavgm and centered-clipping only; remove it or change the strategy',
        'timing.curatorDeadlineMs: must be longer than timing.collectionWindowMs (5000), got 1000',
        'encoding: must be one of f32, f16, int8, got "f64"',
        'mode: must be one of curator, gossip, got "swarm"',
      ]),
    );
    expect(problems).toHaveLength(14);
  });

  it('reads the gossip section only when given: neighbours default 1, a whole number ≥ 1', () => {
    expect(parseTaskManifest(MINIMAL_YAML, 'x').gossip).toBeUndefined();
    expect(parseTaskManifest(`${MINIMAL_YAML}mode: gossip\ngossip: {}\n`, 'x').gossip).toEqual({ neighbours: 1 });
    expect(parseTaskManifest(`${MINIMAL_YAML}mode: gossip\ngossip: { neighbours: 7 }\n`, 'x').gossip).toEqual({ neighbours: 7 });
    expect(problemsOf(`${MINIMAL_YAML}gossip: { neighbours: 0, fanout: 2 }\n`)).toEqual([
      'gossip: unknown field "fanout" (known fields: neighbours, clipRadius)',
      'gossip.neighbours: must be a whole number ≥ 1, got 0',
    ]);
    expect(problemsOf(`${MINIMAL_YAML}gossip: 7\n`)).toEqual(['gossip: must be a mapping of fields, got 7']);
  });

  it('reads gossip.clipRadius only when given, a positive finite number, in gossip mode only', () => {
    expect(parseTaskManifest(`${MINIMAL_YAML}mode: gossip\ngossip: { clipRadius: 0.5 }\n`, 'x').gossip).toEqual({ neighbours: 1, clipRadius: 0.5 });
    expect(parseTaskManifest(`${MINIMAL_YAML}mode: gossip\ngossip: { neighbours: 3 }\n`, 'x').gossip).toEqual({ neighbours: 3 });
    expect(problemsOf(`${MINIMAL_YAML}mode: gossip\ngossip: { clipRadius: 0 }\n`)).toEqual(['gossip.clipRadius: must be a positive number, got 0']);
    expect(problemsOf(`${MINIMAL_YAML}mode: gossip\ngossip: { clipRadius: -2 }\n`)).toEqual(['gossip.clipRadius: must be a positive number, got -2']);
    expect(problemsOf(`${MINIMAL_YAML}mode: gossip\ngossip: { clipRadius: .inf }\n`)).toEqual(['gossip.clipRadius: must be a positive number, got Infinity']);
    expect(problemsOf(`${MINIMAL_YAML}mode: gossip\ngossip: { clipRadius: .nan }\n`)).toEqual(['gossip.clipRadius: must be a positive number, got NaN']);
    expect(problemsOf(`${MINIMAL_YAML}mode: gossip\ngossip: { clipRadius: wide }\n`)).toEqual(['gossip.clipRadius: must be a positive number, got "wide"']);
    expect(problemsOf(`${MINIMAL_YAML}gossip: { clipRadius: 0.5 }\n`)).toEqual([
      "gossip.clipRadius: is gossip mode's merge rule, but the task's mode is curator; set mode: gossip or remove it",
    ]);
  });

  it('reads audit.auditors only when given, a whole number from 0 to 64, in curator mode only', () => {
    expect(parseTaskManifest(MINIMAL_YAML, 'x').audit).toBeUndefined();
    expect(parseTaskManifest(`${MINIMAL_YAML}audit: { auditors: 3 }\n`, 'x').audit).toEqual({ auditors: 3 });
    expect(parseTaskManifest(`${MINIMAL_YAML}audit: { auditors: 0 }\n`, 'x').audit).toEqual({ auditors: 0 });
    expect(parseTaskManifest(`${MINIMAL_YAML}audit: {}\n`, 'x').audit).toEqual({ auditors: 2 });
    expect(problemsOf(`${MINIMAL_YAML}audit: { auditors: -1 }\n`)).toEqual(['audit.auditors: must be a whole number from 0 to 64, got -1']);
    expect(problemsOf(`${MINIMAL_YAML}audit: { auditors: 65 }\n`)).toEqual(['audit.auditors: must be a whole number from 0 to 64, got 65']);
    expect(problemsOf(`${MINIMAL_YAML}audit: { auditors: 1.5 }\n`)).toEqual(['audit.auditors: must be a whole number from 0 to 64, got 1.5']);
    expect(problemsOf(`${MINIMAL_YAML}audit: { auditor: 2 }\n`)[0]).toMatch(/^audit: unknown field "auditor"/);
    expect(problemsOf(`${MINIMAL_YAML}mode: gossip\naudit: { auditors: 2 }\n`)).toEqual([
      "audit: audits curators' versions, but the task's mode is gossip, which has no curator; remove it",
    ]);
  });

  it('keeps training.learningRateDecay only when given, a finite number ≥ 0', () => {
    expect(parseTaskManifest(MINIMAL_YAML, 'x').training.learningRateDecay).toBeUndefined();
    expect(parseTaskManifest(`${MINIMAL_YAML}training: { learningRateDecay: 0.3 }\n`, 'x').training.learningRateDecay).toBe(0.3);
    expect(problemsOf(`${MINIMAL_YAML}training: { learningRateDecay: -1 }\n`)).toEqual(['training.learningRateDecay: must be a finite number ≥ 0, got -1']);
    expect(problemsOf(`${MINIMAL_YAML}training: { learningRateDecay: fast }\n`)).toEqual(['training.learningRateDecay: must be a number, got "fast"']);
  });

  it('checks the training plan through planProblems, with field paths', () => {
    const problems = problemsOf(`${MINIMAL_YAML}training: { epochs: 2.5, batchSize: 0, learningRate: 0 }\n`);
    expect(problems).toEqual([
      'training.epochs: must be a whole number ≥ 1, got 2.5',
      'training.batchSize: must be a whole number ≥ 1, got 0',
      'training.learningRate: must be a positive number, got 0',
    ]);
  });

  it('rejects unknown fields, suggesting the likely intended one', () => {
    const problems = problemsOf(`${MINIMAL_YAML}trainig: { epochs: 2 }\ncohort: { fracton: 0.5 }\n`);
    expect(problems).toEqual(['unknown field "trainig" (did you mean "training"?)', 'cohort: unknown field "fracton" (did you mean "fraction"?)']);
    const unrelated = problemsOf(`${MINIMAL_YAML}zzzzzzzz: 1\n`);
    expect(unrelated[0]).toMatch(/^unknown field "zzzzzzzz" \(known fields: version, id, /);
  });

  it('requires the essential sections and says so', () => {
    const problems = problemsOf('version: 1\n');
    expect(problems).toEqual(['id: is required', 'model: is required', 'data: is required', 'stopping: is required']);
  });

  it('refuses a model with both or neither of preset and layers', () => {
    expect(problemsOf(MINIMAL_YAML.replace('preset: logreg', 'preset: logreg\n  layers: m.json'))).toEqual([
      'model: give exactly one of "preset" (mlp, logreg, tabular-mlp) or "layers" (a TF.js model.json path)',
    ]);
  });

  it('gives the line and column of a YAML syntax error', () => {
    const problems = problemsOf('version: 1\nid: tiny-task\nmodel:\n  preset: [logreg\n');
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(/^line \d+, column \d+: syntax error: /);
    const duplicate = problemsOf('version: 1\nid: a-task\nid: b-task\n');
    expect(duplicate[0]).toMatch(/^line 3, column 1: syntax error: .*unique/i);
  });

  it('rejects an empty document and a non-mapping document', () => {
    expect(problemsOf('')).toEqual(['the task manifest is empty']);
    expect(problemsOf('- a\n- b\n')).toEqual(['a task manifest must be a mapping of fields, got a list']);
  });

  it('puts the source and every problem in the error message', () => {
    expect(() => parseTaskManifest('version: 1\n', 'tasks/t.yaml')).toThrow(/^tasks\/t\.yaml: task manifest has 4 problems:\n {2}- id: is required\n/);
  });
});
