/**
 * Simulated peers that train for real: one TF.js model shared by every peer (`ModelSlot`;
 * each peer's weights are swapped in for its step), so a thousand peers need one model.
 * Every round's heads are measured on the held-out test data by a judge sharing the model.
 */
import type { Dataset } from '../../node/learn/data/dataset.ts';
import { decodeWeights, parameterCount } from '../../node/learn/weights/index.ts';
import { Learner } from '../../node/peer/learner.ts';
import { ModelSlot } from '../../node/peer/model-slot.ts';
import { taskDataSchema, taskModelSpec, type TaskManifest } from '../../node/task/manifest.ts';
import type { RoundQuality, SimLabels, SimLearning } from './learning.ts';

/** The dataset with every label l turned into classes − 1 − l (what a label-flip attacker trains on). */
export function flippedLabels(data: Dataset): Dataset {
  return { ...data, name: `${data.name} (labels flipped)`, labels: data.labels.map((label) => data.classCount - 1 - label) };
}

export async function modelLearning(task: TaskManifest, shards: readonly Dataset[], test: Dataset): Promise<SimLearning> {
  const schema = taskDataSchema(task);
  const shape = { featureCount: schema.featureCount, classCount: schema.classes.length };
  const spec = taskModelSpec(task, '.');
  const slot = await ModelSlot.create(spec, shape, task.model.seed);
  const judge = Learner.sharing(slot, { task, model: spec, shape, data: test, seed: 'judge' });
  const parameters = parameterCount(slot.manifest);
  return {
    learner: (index: number, peer: string, labels: SimLabels = 'true') =>
      Learner.sharing(slot, { task, model: spec, shape, data: labels === 'true' ? shards[index]! : flippedLabels(shards[index]!), seed: `${task.id}/${peer}` }),
    manifest: slot.manifest,
    samples: (index) => shards[index]!.size,
    get busy() {
      return slot.busy;
    },
    idle: () => slot.idle(),
    async measure(heads, blobOf): Promise<RoundQuality> {
      const measured = new Map<string, { loss: number; accuracy: number }>();
      for (const hash of heads) {
        if (!measured.has(hash)) measured.set(hash, await slot.use(() => judge.evaluate(blobOf(hash), test)));
      }
      const { loss, accuracy } = measured.get(heads[0]!)!;
      const each = heads.map((hash) => measured.get(hash)!.accuracy);
      return {
        accuracy,
        loss,
        peerAccuracy: { min: Math.min(...each), mean: each.reduce((sum, a) => sum + a, 0) / each.length, max: Math.max(...each) },
        consensusDistance: consensusDistanceOf(heads, blobOf, parameters),
      };
    },
    dispose: () => slot.dispose(),
  };
}

/** sqrt(mean_i ||w_i − w̄||²) over the first `parameters` weights of each head (identical heads cost nothing). */
export function consensusDistanceOf(heads: readonly string[], blobOf: (hash: string) => Uint8Array, parameters: number): number {
  const distinct = [...new Set(heads)];
  if (distinct.length <= 1) return 0;
  const count = new Map<string, number>();
  for (const hash of heads) count.set(hash, (count.get(hash) ?? 0) + 1);
  const weights = new Map(distinct.map((hash) => [hash, decodeWeights(blobOf(hash)).values.subarray(0, parameters)]));
  const mean = new Float64Array(parameters);
  for (const [hash, values] of weights) {
    const share = count.get(hash)! / heads.length;
    for (let i = 0; i < parameters; i++) mean[i] = (mean[i] as number) + share * (values[i] as number);
  }
  let sum = 0;
  for (const [hash, values] of weights) {
    let squared = 0;
    for (let i = 0; i < parameters; i++) {
      const d = (values[i] as number) - (mean[i] as number);
      squared += d * d;
    }
    sum += squared * count.get(hash)!;
  }
  return Math.sqrt(sum / heads.length);
}
