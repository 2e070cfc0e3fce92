import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../node/learn/backend.ts';
import { createModel } from '../../node/learn/model.ts';
import { saveModelFolder } from '../../node/learn/model-io.ts';
import { parseTaskManifest, type TaskManifestError } from '../../node/task/manifest.ts';
import { checkTaskModelFile } from '../../node/task/model-file.ts';

/** A tabular task (3 features, 2 classes) whose model is the layers file `layers`. */
const task = (layers: string) =>
  parseTaskManifest(`version: 1\nid: layers-task\nmodel: {layers: ${JSON.stringify(layers)}}\ndata: {featureCount: 3, classes: [a, b], labelColumn: y}\nstopping: {rounds: 5}\n`, 'task.yaml');

async function refusal(layers: string, taskFile: string): Promise<string> {
  const error = await checkTaskModelFile(task(layers), taskFile, 'task.yaml').then(() => undefined, (e: unknown) => e);
  expect((error as Error | undefined)?.name).toBe('TaskManifestError');
  const { problems } = error as TaskManifestError;
  expect(problems).toHaveLength(1);
  return problems[0]!;
}

let folder: string;
let manifestPath: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'gossipfl-model-file-'));
  manifestPath = join(folder, 'tasks', 'task.yaml');
  await mkdir(join(folder, 'tasks'));
  await selectBackend();
  const fits = await createModel({ kind: 'preset', preset: 'logreg' }, { featureCount: 3, classCount: 2 }, 1);
  await saveModelFolder(fits, join(folder, 'tasks', 'model'));
  fits.dispose();
  const wrongShape = await createModel({ kind: 'preset', preset: 'logreg' }, { featureCount: 4, classCount: 2 }, 1);
  await saveModelFolder(wrongShape, join(folder, 'tasks', 'wide'));
  wrongShape.dispose();
  await writeFile(join(folder, 'tasks', 'not-a-model.json'), '{"format": "graph-model"}');
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('checkTaskModelFile (task create / task sign)', () => {
  it('accepts a layers model that exists and fits the task, relative or absolute; a preset needs no file', async () => {
    await expect(checkTaskModelFile(task('model/model.json'), manifestPath, 'task.yaml')).resolves.toBeUndefined();
    await expect(checkTaskModelFile(task(join(folder, 'tasks', 'model', 'model.json')), '/elsewhere/task.yaml', 'task.yaml')).resolves.toBeUndefined();
    const preset = parseTaskManifest('version: 1\nid: preset-task\nmodel: {preset: logreg}\ndata: {builtin: mnist}\nstopping: {rounds: 5}\n', 'p.yaml');
    await expect(checkTaskModelFile(preset, '/nowhere/task.yaml', 'p.yaml')).resolves.toBeUndefined();
  });

  it('names the field and the path of a missing model, and the folder it was resolved against', async () => {
    const problem = await refusal('models/missing.json', manifestPath);
    expect(problem).toMatch(/^model\.layers: "models\/missing\.json" \(relative to .*tasks, the folder of .*task\.yaml\) does not exist/);
    expect(problem).toContain(join(folder, 'tasks', 'models', 'missing.json'));
  });

  it('refuses a folder, a JSON file that is not a layers model, and a model of the wrong shape', async () => {
    expect(await refusal('model', manifestPath)).toMatch(/^model\.layers: "model" .* is a folder, not a model file; give the path of the model\.json inside it$/);
    expect(await refusal('not-a-model.json', manifestPath)).toMatch(/^model\.layers: "not-a-model\.json" .* is not a model this task can use: .*not a TF\.js layers model/);
    expect(await refusal('wide/model.json', manifestPath)).toMatch(/is not a model this task can use: .*\(4 values\) but the task's data has 3 features/);
  });

  it('resolves a relative path from where the signed task will be written, as start does', async () => {
    // Fine next to the manifest, but a signed copy written to another folder would not find it.
    const signedElsewhere = join(folder, 'signed', 'task.signed.yaml');
    expect(await refusal('model/model.json', signedElsewhere)).toMatch(/relative to .*signed, the folder of .*task\.signed\.yaml\) does not exist/);
  });
});
