/**
 * One TF.js model and the right to use it. A real peer has its own; in the simulator many
 * peers share one (their weights are swapped in for each step), so that a thousand peers do
 * not need a thousand models. Uses of the model take turns.
 */
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { createModel, type ModelShape, type ModelSpec } from '../learn/model.ts';
import { modelManifest, readWeights } from '../learn/model-weights.ts';
import type { Seed } from '../learn/rng.ts';
import { encodeWeights, type WeightsManifest } from '../learn/weights/index.ts';

export class ModelSlot {
  readonly model: LayersModel;
  readonly manifest: WeightsManifest;
  /** The model's initial weights (GFLW f32, model tensors only), taken before any use; the learner makes the round-0 version of them. */
  readonly genesis: Uint8Array;
  #queue: Promise<unknown> = Promise.resolve();
  #pending = 0;

  private constructor(model: LayersModel) {
    this.model = model;
    this.manifest = modelManifest(model);
    this.genesis = encodeWeights(readWeights(model), 'f32');
  }

  static async create(spec: ModelSpec, shape: ModelShape, seed: Seed): Promise<ModelSlot> {
    return new ModelSlot(await createModel(spec, shape, seed));
  }

  /** Runs `work` once every earlier use of the model has finished. */
  use<T>(work: (model: LayersModel) => Promise<T> | T): Promise<T> {
    this.#pending++;
    const run = () => work(this.model);
    const turn = this.#queue.then(run, run).finally(() => this.#pending--);
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  /** Whether a use of the model is queued or running. */
  get busy(): boolean {
    return this.#pending > 0;
  }

  /** Resolves once no use of the model is queued or running (the simulator waits on it). */
  async idle(): Promise<void> {
    while (this.#pending > 0) await this.#queue;
  }

  dispose(): void {
    this.model.dispose();
  }
}
