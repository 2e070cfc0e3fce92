/**
 * The models a task can name: a built-in preset (dense networks for MNIST and tabular
 * data) or a TF.js layers-model JSON file. Presets are built with seeded initialisers, so
 * every peer that builds a task's model from the same seed starts from identical weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initializers, layers, sequential, type LayersModel } from '@tensorflow/tfjs-layers';
import { Rng, type Seed } from './rng.ts';
import { loadModelFile, ModelError } from './model-io.ts';

export const PRESETS = {
  /** 784-200-200-10 "2NN" of McMahan et al. 2017, for MNIST. */
  mlp: [200, 200],
  /** Multinomial logistic regression, for tabular data. */
  logreg: [],
  /** One small hidden layer, for tabular data. */
  'tabular-mlp': [32],
} as const satisfies Record<string, readonly number[]>;

export type PresetName = keyof typeof PRESETS;

export type ModelSpec =
  | { readonly kind: 'preset'; readonly preset: PresetName }
  /** A TF.js layers model.json (e.g. a Keras model converted with the TF.js converter). */
  | { readonly kind: 'layers'; readonly path: string };

/** The input width and number of classes the task's data schema implies. */
export interface ModelShape {
  readonly featureCount: number;
  readonly classCount: number;
}

export function isPresetName(name: string): name is PresetName {
  return Object.hasOwn(PRESETS, name);
}

export function parsePresetName(name: string): PresetName {
  if (!isPresetName(name)) {
    throw new ModelError(`unknown model preset "${name}"; choose one of ${Object.keys(PRESETS).join(', ')}, or give a TF.js model.json path`);
  }
  return name;
}

function denseNetwork(hidden: readonly number[], shape: ModelShape, seed: Seed): LayersModel {
  const rng = new Rng(seed);
  const initialiser = () => initializers.glorotUniform({ seed: rng.int(2 ** 31) });
  const model = sequential();
  hidden.forEach((units, index) => {
    model.add(
      layers.dense({
        name: `hidden${index + 1}`,
        units,
        activation: 'relu',
        kernelInitializer: initialiser(),
        ...(index === 0 ? { inputShape: [shape.featureCount] } : {}),
      }),
    );
  });
  model.add(
    layers.dense({
      name: 'output',
      units: shape.classCount,
      activation: 'softmax',
      kernelInitializer: initialiser(),
      ...(hidden.length === 0 ? { inputShape: [shape.featureCount] } : {}),
    }),
  );
  return model;
}

/** Values per input row (the product of the input shape after the batch axis); NaN if any is open. */
export function modelInputWidth(model: LayersModel): number {
  return (model.inputs[0]?.shape ?? []).slice(1).reduce<number>((product, size) => product * (size ?? Number.NaN), 1);
}

/** Throws a ModelError unless the model has one input of `featureCount` values and `classCount` outputs. */
export function checkModelShape(model: LayersModel, shape: ModelShape, source: string): void {
  const input = model.inputs[0]?.shape;
  const output = model.outputs[0]?.shape;
  if (model.inputs.length !== 1 || model.outputs.length !== 1 || input === undefined || output === undefined) {
    throw new ModelError(`${source}: a task model needs exactly one input and one output`);
  }
  const width = modelInputWidth(model);
  if (width !== shape.featureCount) {
    throw new ModelError(`${source}: the model takes inputs of shape [${input.slice(1).join(', ')}] (${width} values) but the task's data has ${shape.featureCount} features`);
  }
  if (output.length !== 2 || output[1] !== shape.classCount) {
    throw new ModelError(`${source}: the model outputs shape [${output.slice(1).join(', ')}] but the task has ${shape.classCount} classes`);
  }
}

/** Builds (preset) or loads (layers JSON) the task's model and checks it fits the data's shape. */
export async function createModel(spec: ModelSpec, shape: ModelShape, seed: Seed): Promise<LayersModel> {
  switch (spec.kind) {
    case 'preset':
      return denseNetwork(PRESETS[spec.preset], shape, seed);
    case 'layers': {
      const model = await loadModelFile(spec.path);
      try {
        checkModelShape(model, shape, spec.path);
      } catch (error) {
        model.dispose();
        throw error;
      }
      return model;
    }
    default: {
      const unknown: never = spec;
      throw new ModelError(`unknown model spec ${JSON.stringify(unknown)}`);
    }
  }
}

/** Feeds the model a batch whose rows are flat feature vectors, reshaped to its input shape. */
export function inputTensor(model: LayersModel, features: Float32Array, rows: number): tf.Tensor {
  const inputShape = model.inputs[0]?.shape.slice(1).map((size) => size ?? -1) ?? [];
  return tf.tensor(features, [rows, ...inputShape]);
}

export { ModelError };
