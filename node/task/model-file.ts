/**
 * The check `task create` and `task sign` make of a task whose model is a TF.js layers file:
 * that `model.layers` names a model.json that loads (with its weight files) and fits the task's
 * data — the same code `start` runs — so a wrong path fails when the task is written, once,
 * rather than on every peer that starts it.
 */
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { selectBackend } from '../learn/backend.ts';
import { createModel } from '../learn/model.ts';
import { ModelError } from '../learn/model-io.ts';
import { TaskManifestError, taskDataSchema, taskModelSpec, type TaskManifest } from './manifest.ts';

/**
 * Throws a TaskManifestError naming `model.layers` and the path when the task's layers model is
 * missing, not a file, not a TF.js layers model, or does not fit the task's features and classes.
 * `taskFile` is where the task will be read from (the manifest, or the signed task being
 * written): a relative path is resolved against its folder, as `start` does. `source` names the
 * manifest in the error. Preset models need no file and pass at once.
 */
export async function checkTaskModelFile(manifest: TaskManifest, taskFile: string, source: string): Promise<void> {
  const model = manifest.model;
  if (!('layers' in model)) return;
  const spec = taskModelSpec(manifest, taskFile);
  if (spec.kind !== 'layers') return;
  const written = JSON.stringify(model.layers);
  const where = isAbsolute(model.layers) ? written : `${written} (relative to ${dirname(resolve(taskFile))}, the folder of ${resolve(taskFile)})`;
  const refuse = (reason: string): never => {
    throw new TaskManifestError(source, [`model.layers: ${where} ${reason}`]);
  };
  try {
    const info = await stat(spec.path);
    if (info.isDirectory()) refuse(`is a folder, not a model file; give the path of the model.json inside it`);
  } catch (error) {
    if (error instanceof TaskManifestError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    refuse(code === 'ENOENT' || code === 'ENOTDIR' ? `does not exist (${spec.path})` : `cannot be read (${spec.path}: ${code ?? (error as Error).message})`);
  }
  const schema = taskDataSchema(manifest);
  await selectBackend();
  try {
    const built = await createModel(spec, { featureCount: schema.featureCount, classCount: schema.classes.length }, model.seed);
    built.dispose();
  } catch (error) {
    if (error instanceof ModelError) refuse(`is not a model this task can use: ${error.message}`);
    throw error;
  }
}
