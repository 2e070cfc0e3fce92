/**
 * Reading and writing TF.js layers-model folders (model.json + binary weight files) on
 * disk, the format of `tf.LayersModel.save` and of the TF.js converter for Keras models.
 * TF.js core only ships browser handlers, so these are ours.
 */
import { GossipflError } from '../errors.ts';
import * as tf from '@tensorflow/tfjs-core';
import { loadLayersModel, type LayersModel } from '@tensorflow/tfjs-layers';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

export class ModelError extends GossipflError {
  override name = 'ModelError';
}

const WEIGHTS_FILE = 'weights.bin';

async function readModelJson(path: string): Promise<tf.io.ModelJSON> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ModelError(`cannot read the model file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || !('modelTopology' in json)) {
    throw new ModelError(`${path} is not a TF.js layers model: it has no "modelTopology" (convert Keras models with tensorflowjs_converter --output_format tfjs_layers_model)`);
  }
  return json as tf.io.ModelJSON;
}

async function readWeightFiles(modelPath: string, manifest: tf.io.WeightsManifestConfig): Promise<[tf.io.WeightsManifestEntry[], ArrayBuffer]> {
  const folder = dirname(modelPath);
  const buffers: ArrayBuffer[] = [];
  for (const group of manifest) {
    for (const file of group.paths) {
      const path = join(folder, file);
      try {
        const bytes = await readFile(path);
        buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
      } catch (error) {
        throw new ModelError(`${modelPath} names the weight file ${file}, which cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
    }
  }
  return [tf.io.getWeightSpecs(manifest), tf.io.concatenateArrayBuffers(buffers)];
}

/** Loads a layers model from its model.json path; weights come from the files it names, if any. */
export async function loadModelFile(path: string): Promise<LayersModel> {
  const modelPath = resolve(path);
  const json = await readModelJson(modelPath);
  const artifacts = await tf.io.getModelArtifactsForJSON(json, (manifest) => readWeightFiles(modelPath, manifest));
  try {
    return await loadLayersModel({ load: async () => artifacts });
  } catch (error) {
    throw new ModelError(`${modelPath}: TF.js cannot build this model: ${(error as Error).message}`);
  }
}

/**
 * Saves a model as a TF.js layers-model folder (model.json + weights.bin) that
 * `tf.loadLayersModel` and `loadModelFile` read back. Written to a temporary folder and
 * renamed into place, so a crash never leaves a half-written model.
 */
export async function saveModelFolder(model: LayersModel, folder: string): Promise<void> {
  const target = resolve(folder);
  await assertReplaceable(target);
  const staging = join(dirname(target), `.${basename(target)}.tmp-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await model.save({
    save: async (artifacts) => {
      if (artifacts.weightSpecs === undefined || artifacts.weightData === undefined) {
        throw new ModelError('TF.js gave no weights to save');
      }
      const weightData = tf.io.concatenateArrayBuffers(
        Array.isArray(artifacts.weightData) ? artifacts.weightData : [artifacts.weightData],
      );
      const json: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as object,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? 'gossipfl',
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs }],
        ...(artifacts.trainingConfig === undefined ? {} : { trainingConfig: artifacts.trainingConfig }),
      };
      await writeFile(join(staging, WEIGHTS_FILE), new Uint8Array(weightData));
      await writeFile(join(staging, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  });
  await rm(target, { recursive: true, force: true });
  await rename(staging, target);
}

/** Refuses to replace a folder that holds anything but an earlier exported model. */
async function assertReplaceable(folder: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new ModelError(`cannot export to ${folder}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const foreign = entries.filter((name) => name !== 'model.json' && name !== WEIGHTS_FILE);
  if (foreign.length > 0) {
    throw new ModelError(`cannot export to ${folder}: it holds other files (${foreign.slice(0, 3).join(', ')}); choose an empty or new folder`);
  }
}
