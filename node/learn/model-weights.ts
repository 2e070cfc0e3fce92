/**
 * Moves weights between a TF.js model and the flat form the network and the aggregators
 * use. Tensor names are the layers' own weight names ("hidden1/kernel"), stable across
 * model instances (TF.js's unique-ified variable names are not).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { ModelError } from './model-io.ts';
import { parameterCount, type FlatWeights, type WeightsManifest } from './weights/flat.ts';

export function modelManifest(model: LayersModel): WeightsManifest {
  return {
    tensors: model.weights.map((variable) => ({ name: variable.originalName, shape: variable.shape.map((size) => size ?? 0), dtype: 'float32' as const })),
  };
}

/** Copies the model's weights into one new Float32Array. */
export function readWeights(model: LayersModel): FlatWeights {
  const manifest = modelManifest(model);
  const values = new Float32Array(parameterCount(manifest));
  let offset = 0;
  for (const variable of model.weights) {
    const data = variable.read().dataSync() as Float32Array;
    values.set(data, offset);
    offset += data.length;
  }
  return { manifest, values };
}

/** Sets the model's weights from flat values laid out as the model's own manifest says. */
export function writeWeights(model: LayersModel, weights: FlatWeights): void {
  const expected = modelManifest(model).tensors;
  const given = weights.manifest.tensors;
  if (given.length !== expected.length) {
    throw new ModelError(`the weights hold ${given.length} tensors but the model has ${expected.length}`);
  }
  let offset = 0;
  const tensors = expected.map((spec, i) => {
    const other = given[i];
    if (other === undefined || other.name !== spec.name || other.shape.join('x') !== spec.shape.join('x')) {
      throw new ModelError(`weight tensor ${i} is ${other?.name} [${other?.shape.join(', ')}] but the model expects ${spec.name} [${spec.shape.join(', ')}]`);
    }
    const size = spec.shape.reduce((p, d) => p * d, 1);
    const values = weights.values.subarray(offset, offset + size);
    offset += size;
    return tf.tensor(values, spec.shape, 'float32');
  });
  if (offset !== weights.values.length) {
    throw new ModelError(`the weights hold ${weights.values.length} values but the model has ${offset} parameters`);
  }
  try {
    model.setWeights(tensors);
  } finally {
    tf.dispose(tensors);
  }
}
