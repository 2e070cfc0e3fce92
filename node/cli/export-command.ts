/**
 * `gossipfl export`: writes a task's model version (the checkpointed head, or the version of
 * round N on its provenance chain) as a TF.js layers-model folder. Reads the store without
 * its lock, so it works while a peer runs.
 */
import { isAbsolute, join, resolve } from 'node:path';
import { selectBackend } from '../learn/backend.ts';
import { saveModelFolder } from '../learn/model-io.ts';
import { Learner } from '../peer/learner.ts';
import { taskDataSchema, taskModelSpec } from '../task/manifest.ts';
import { readSignedTask } from '../task/signing.ts';
import { CliError, parseNumberOption, parseOptions, USAGE_EXIT_CODE, type Command } from './command.ts';
import { DEFAULT_DATA_DIR } from './peer-config.ts';
import { pickTask, SIGNED_TASK_COPY, viewTaskStore } from './store-read.ts';

const HELP = [
  'Usage: gossipfl export [--dir DIR] --task ID --out FOLDER [--round N] [--task-file SIGNED]',
  '',
  'Writes a model version of a task as a TF.js layers-model folder (model.json + weights.bin),',
  'loadable with tf.loadLayersModel and `gossipfl evaluate`. Default: the checkpointed head;',
  '--round N: the version of round N on the head\'s provenance chain. The task manifest is the',
  `copy \`gossipfl start\` keeps (${SIGNED_TASK_COPY} in the task folder), or --task-file.`,
  'FOLDER must be new, empty, or an earlier export.',
  '',
  'Options:',
  `  --dir DIR           the data folder (default ${DEFAULT_DATA_DIR})`,
  '  --task ID           the task (may be left out when the folder holds one task)',
  '  --out FOLDER        where to write the model',
  '  --round N           export round N instead of the head',
  '  --task-file SIGNED  the signed task file, when the folder has no copy of it',
  '  --json              print {task, round, hash, out} as JSON',
].join('\n');

export const exportCommand: Command = {
  name: 'export',
  summary: 'write a task\'s model version as a TF.js model folder',
  help: HELP,
  async run(args) {
    const { values } = parseOptions('export', args, {
      dir: { type: 'string' }, task: { type: 'string' }, out: { type: 'string' }, round: { type: 'string' }, 'task-file': { type: 'string' }, json: { type: 'boolean' },
    });
    if (values.out === undefined) throw new CliError('export: give the model folder to write with --out FOLDER (see gossipfl export --help)', USAGE_EXIT_CODE);
    const round = parseNumberOption('export', 'round', values.round, (n) => Number.isInteger(n) && n >= 0, 'a whole number ≥ 0');
    const dataDir = resolve(values.dir ?? DEFAULT_DATA_DIR);
    const taskId = await pickTask(dataDir, values.task, 'export');
    const view = await viewTaskStore(dataDir, taskId);
    const taskFile = values['task-file'] ?? join(view.dir, SIGNED_TASK_COPY);
    const verified = await readSignedTask(taskFile);
    if (verified.manifest.id !== taskId) throw new CliError(`export: ${taskFile} is task "${verified.manifest.id}", not "${taskId}"`);
    const model = verified.manifest.model;
    if ('layers' in model && !isAbsolute(model.layers) && values['task-file'] === undefined) {
      throw new CliError(`export: task "${taskId}" names its model by the relative path ${model.layers}: give --task-file with the signed task in its original folder`);
    }
    const checkpoint = await view.checkpoint.load();
    if (checkpoint === undefined) throw new CliError(`export: task "${taskId}" has no checkpoint yet: nothing to export`);
    if (checkpoint.taskHash !== verified.taskHash) {
      throw new CliError(`export: ${taskFile} has task hash ${verified.taskHash}, but the store holds task hash ${checkpoint.taskHash}; give the right --task-file`);
    }
    let hash = checkpoint.head;
    let exportedRound = checkpoint.round;
    if (round !== undefined && round !== checkpoint.round) {
      if (round > checkpoint.round) throw new CliError(`export: round ${round} is after the head (round ${checkpoint.round})`);
      const history = await view.versions.history(checkpoint.head);
      const gap = history.gaps.find((g) => g.fromRound <= round && round <= g.toRound);
      if (gap !== undefined) throw new CliError(`export: this peer holds no version of round ${round}: it never adopted rounds ${gap.fromRound}–${gap.toRound} (it was not running, or caught up past them; see gossipfl history)`);
      const found = history.versions.find((v) => v.round === round);
      if (found === undefined) throw new CliError(`export: no version of round ${round} on the head's provenance chain${history.reachesGenesis ? '' : ' (the chain stops early: see gossipfl history)'}`);
      hash = found.hash;
      exportedRound = found.round;
    }
    const blob = await view.blobs.get(hash);
    if (blob === undefined) throw new CliError(`export: the blob of version ${hash} (round ${exportedRound}) is not in the store`);
    await selectBackend();
    const manifest = verified.manifest;
    const schema = taskDataSchema(manifest);
    const empty = { name: 'none', size: 0, featureCount: schema.featureCount, classCount: schema.classes.length, features: new Float32Array(0), labels: new Int32Array(0) };
    const learner = await Learner.create({
      task: manifest,
      model: taskModelSpec(manifest, taskFile),
      shape: { featureCount: schema.featureCount, classCount: schema.classes.length },
      data: empty,
      seed: 'export',
    });
    try {
      await saveModelFolder(learner.modelWith(blob), values.out);
    } finally {
      learner.dispose();
    }
    const out = resolve(values.out);
    if (values.json === true) process.stdout.write(`${JSON.stringify({ task: taskId, round: exportedRound, hash, out, model: join(out, 'model.json') }, null, 2)}\n`);
    else process.stdout.write(`exported ${taskId} round ${exportedRound} (version ${hash.slice(0, 12)}) to ${join(out, 'model.json')}\n`);
    return 0;
  },
};
