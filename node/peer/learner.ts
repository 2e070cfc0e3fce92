/**
 * The learning half of a peer: the task's TF.js model and the operations the round engine
 * asks for, on blobs. A version blob is the model's weights — followed by the aggregation
 * strategy's server state (`server-state/<i>` tensors), if it has any — in the GFLW f32
 * encoding; a delta blob is w − base in the task's delta encoding. A version aggregated without
 * server state also has a patch blob, version − parent in f16, from which a peer holding the parent
 * rebuilds the version exactly (the version is defined as parent + patch).
 */
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { AggregationError, averageVersions, clippedGossipMerge, strategyDefinition, type AggregationStrategy, type Contribution, type StrategyDefinition } from '../aggregate/index.ts';
import type { StatefulStrategy } from '../aggregate/server-optimizers.ts';
import { screenByLoss, type Screening } from '../aggregate/update-evaluation.ts';
import { bySender } from '../aggregate/vectors.ts';
import type { Dataset } from '../learn/data/dataset.ts';
import type { ModelShape, ModelSpec } from '../learn/model.ts';
import { readWeights, writeWeights } from '../learn/model-weights.ts';
import { Rng } from '../learn/rng.ts';
import { evaluate, planForRound, trainLocal, type EvalMetrics, type TrainMetrics as TrainerMetrics, type TrainingPlan } from '../learn/trainer.ts';
import {
  addScaledInto,
  allFinite,
  decodeWeights,
  encodeWeights,
  l2Norm,
  subtractInto,
  type WeightsManifest,
} from '../learn/weights/index.ts';
import type { TrainMetrics, ValidationMetrics } from '../../protocols/messages.ts';
import type { TaskManifest } from '../task/manifest.ts';
import { ModelSlot } from './model-slot.ts';
import { InvalidVersionError, VersionCodec, type VersionContent } from './version-blob.ts';

/** The encoding of version patches, whatever the task's delta encoding (PROTOCOL.md §3.9). */
export const PATCH_ENCODING = 'f16';

export interface LearnerInit {
  readonly task: TaskManifest;
  readonly model: ModelSpec;
  readonly shape: ModelShape;
  /** This peer's local training data (already through the data gate). */
  readonly data: Dataset;
  /** Held-out local data on which a curator measures the versions it makes, if any. */
  readonly validation?: Dataset;
  /** Seeds local shuffling; differs per peer. */
  readonly seed: string;
}

export interface TrainedDelta {
  readonly blob: Uint8Array;
  readonly samples: number;
  readonly metrics: TrainMetrics;
}

export interface OfferedDelta {
  readonly from: string;
  readonly blob: Uint8Array;
  readonly samples: number;
}

export interface AggregateResult {
  readonly blob: Uint8Array;
  /** The version's patch blob (version − parent, f16); absent with server state or f32 deltas. */
  readonly patch?: Uint8Array;
  readonly accepted: readonly OfferedDelta[];
  readonly rejected: readonly { readonly from: string; readonly reason: string }[];
}

function isStateful(strategy: AggregationStrategy): strategy is StatefulStrategy {
  return 'exportState' in strategy;
}

/**
 * The last version rebuilt from each patch blob (by identity), with the parent and model layout it
 * was rebuilt from. Simulated peers share their blobs, so 1,000 of them rebuilding one version do
 * the work once; a real peer rebuilds each version once anyway.
 */
/** Each slot's round-0 version blob, made once (simulated peers share a slot). */
const genesisBlobs = new WeakMap<ModelSlot, Uint8Array>();

const rebuilt = new WeakMap<Uint8Array, { readonly parent: Uint8Array; readonly manifest: WeightsManifest; readonly version: Uint8Array }>();

export class Learner {
  readonly #slot: ModelSlot;
  /** Whether this learner made its slot (and so disposes of it). */
  readonly #ownsSlot: boolean;
  readonly #manifest: WeightsManifest;
  readonly #versions: VersionCodec;
  readonly #task: TaskManifest;
  readonly #data: Dataset;
  readonly #validation: Dataset | undefined;
  readonly #rng: Rng;
  private constructor(slot: ModelSlot, ownsSlot: boolean, init: LearnerInit) {
    this.#slot = slot;
    this.#ownsSlot = ownsSlot;
    this.#manifest = slot.manifest;
    this.#versions = new VersionCodec(slot.manifest, init.task.aggregation.strategy, init.task.timing.maxBlobBytes);
    this.#task = init.task;
    this.#data = init.data;
    this.#validation = init.validation;
    this.#rng = new Rng(init.seed);
  }

  /** A learner with its own model. */
  static async create(init: LearnerInit): Promise<Learner> {
    return new Learner(await ModelSlot.create(init.model, init.shape, init.task.model.seed), true, init);
  }

  /** A learner using a model shared with others (the simulator); the slot outlives it. */
  static sharing(slot: ModelSlot, init: LearnerInit): Learner {
    return new Learner(slot, false, init);
  }

  get #model(): LayersModel {
    return this.#slot.model;
  }

  get plan(): TrainingPlan {
    return this.#task.training;
  }

  /** The task's round-0 version: the model's initial weights. Identical on every peer. */
  genesisBlob(): Uint8Array {
    let blob = genesisBlobs.get(this.#slot);
    if (blob === undefined) genesisBlobs.set(this.#slot, (blob = this.#encodeVersion(decodeWeights(this.#slot.genesis).values, [], 0)));
    return blob;
  }

  get #definition(): StrategyDefinition {
    return strategyDefinition(this.#task.aggregation.strategy);
  }

  /** A fresh instance of the task's strategy with the manifest's parameters (defaults already filled in). */
  #strategy(): AggregationStrategy {
    return this.#definition.create(this.#task.aggregation);
  }

  /** A version blob's model weights and server state, checked in full (version-blob.ts). */
  #decodeVersion(blob: Uint8Array): VersionContent {
    return this.#versions.decode(blob);
  }

  #encodeVersion(weights: Float32Array, state: readonly Float32Array[], round: number): Uint8Array {
    return this.#versions.encode(weights, state, round);
  }

  /**
   * Checks that a blob is a version of this task's model (used after pulling one) — of round
   * `round`, when given: throws InvalidVersionError saying what is wrong.
   */
  checkVersion(blob: Uint8Array, round?: number): void {
    const version = this.#decodeVersion(blob);
    if (round !== undefined && version.round !== round) throw new InvalidVersionError(`the version is tagged round ${version.round}, advertised as round ${round}`);
  }

  #withModel<T>(work: () => Promise<T> | T): Promise<T> {
    return this.#slot.use(work);
  }

  /**
   * Trains from the base version on local data; returns the encoded delta. Rejects with
   * TrainingAbortedError once `signal` is aborted (checked between batches).
   */
  train(baseBlob: Uint8Array, round: number, signal?: AbortSignal): Promise<TrainedDelta> {
    return this.#withModel(async () => {
      const { base, trained, metrics } = await this.#trainFrom(baseBlob, round, signal);
      const delta = new Float32Array(trained.length);
      subtractInto(delta, trained, base);
      const blob = encodeWeights({ manifest: this.#manifest, values: delta }, this.#task.encoding);
      return { blob, samples: metrics.samples, metrics: { loss: metrics.loss, accuracy: metrics.accuracy } };
    });
  }

  /** Gossip mode: trains from the base version; returns the trained model as a version blob. Aborts as `train` does. */
  trainModel(baseBlob: Uint8Array, round: number, signal?: AbortSignal): Promise<{ readonly blob: Uint8Array; readonly samples: number }> {
    return this.#withModel(async () => {
      const { trained, metrics } = await this.#trainFrom(baseBlob, round, signal);
      return { blob: this.#encodeVersion(trained, [], round), samples: metrics.samples };
    });
  }

  /** Loads the base version's weights, trains on local data, reads the trained weights back. */
  async #trainFrom(baseBlob: Uint8Array, round: number, signal: AbortSignal | undefined): Promise<{ base: Float32Array; trained: Float32Array; metrics: TrainerMetrics }> {
    const base = this.#decodeVersion(baseBlob).weights;
    writeWeights(this.#model, { manifest: this.#manifest, values: base });
    const metrics = await trainLocal(this.#model, this.#data, planForRound(this.#task.training, round), this.#rng.fork(`round ${round}`), signal);
    return { base, trained: readWeights(this.#model).values, metrics };
  }

  /** The version's loss and accuracy on this peer's held-out validation data, if it has any. */
  validate(versionBlob: Uint8Array): Promise<ValidationMetrics | undefined> {
    const validation = this.#validation;
    if (validation === undefined || validation.size === 0) return Promise.resolve(undefined);
    return this.#withModel(() => {
      const { loss, accuracy } = this.evaluate(versionBlob, validation);
      return { loss, accuracy, samples: validation.size };
    });
  }

  /** Why a delta cannot be aggregated (generic checks, then the strategy's own), or its values when it can. */
  #deltaProblem(offered: OfferedDelta, strategy: AggregationStrategy): { reason: string } | { values: Float32Array } {
    let values: Float32Array;
    try {
      values = decodeWeights(offered.blob, this.#manifest, { maxBytes: this.#task.timing.maxBlobBytes }).values;
    } catch (error) {
      return { reason: `undecodable: ${(error as Error).message}` };
    }
    const bad = allFinite(values);
    if (bad >= 0) return { reason: `value ${bad} is not finite` };
    const bound = this.#task.aggregation.maxDeltaNorm;
    if (bound !== undefined) {
      const norm = l2Norm(values);
      if (norm > bound) return { reason: `L2 norm ${norm.toPrecision(4)} exceeds the task's bound ${bound}` };
    }
    if (!Number.isInteger(offered.samples) || offered.samples < 1) return { reason: `claims ${offered.samples} samples` };
    const refused = strategy.validateDelta?.(values);
    return refused === undefined ? { values } : { reason: refused };
  }

  /**
   * Update evaluation before averaging (aggregate/update-evaluation.ts): with the task's
   * `validationLossMargin` set and validation rows held, the loss of base + delta for each delta
   * that passes validation, and which of them to leave out. Otherwise keeps every delta.
   */
  screenUpdates(baseBlob: Uint8Array, offered: readonly OfferedDelta[]): Promise<{ readonly kept: readonly OfferedDelta[]; readonly dropped: Screening['dropped'] }> {
    const margin = this.#task.aggregation.validationLossMargin;
    const validation = this.#validation;
    if (margin === undefined || validation === undefined || validation.size === 0) return Promise.resolve({ kept: offered, dropped: [] });
    return this.#withModel(() => {
      const base = this.#decodeVersion(baseBlob).weights;
      const strategy = this.#strategy();
      const scored: { from: string; loss: number }[] = [];
      for (const delta of [...offered].sort(bySender)) {
        const checked = this.#deltaProblem(delta, strategy);
        if ('reason' in checked) continue; // aggregate() rejects it, with its reason
        const weights = base.slice();
        addScaledInto(weights, checked.values);
        writeWeights(this.#model, { manifest: this.#manifest, values: weights });
        scored.push({ from: delta.from, loss: evaluate(this.#model, validation).loss });
      }
      const { dropped } = screenByLoss(scored, margin);
      const out = new Set(dropped.map((d) => d.from));
      return { kept: offered.filter((d) => !out.has(d.from)), dropped };
    });
  }

  /** Validates every delta, aggregates the valid ones onto the base with the task's strategy. */
  aggregate(baseBlob: Uint8Array, offered: readonly OfferedDelta[]): AggregateResult {
    const base = this.#decodeVersion(baseBlob);
    const strategy = this.#strategy();
    if (isStateful(strategy)) strategy.importState(base.state);
    const contributions: Contribution[] = [];
    const accepted: OfferedDelta[] = [];
    const rejected: { from: string; reason: string }[] = [];
    // Sender order (PROTOCOL §7.8): the engine hands deltas over sorted already; every rule relies on it.
    for (const delta of [...offered].sort(bySender)) {
      const checked = this.#deltaProblem(delta, strategy);
      if ('reason' in checked) rejected.push({ from: delta.from, reason: checked.reason });
      else {
        contributions.push({ from: delta.from, delta: checked.values, samples: delta.samples });
        accepted.push(delta);
      }
    }
    if (contributions.length === 0) return { blob: new Uint8Array(), accepted, rejected };
    const next = strategy.aggregate(base.weights, contributions);
    const state = isStateful(strategy) ? strategy.exportState() : [];
    // Every accepted delta is finite, but a server optimizer can still overflow: never publish that.
    if ([next, ...state].some((values) => allFinite(values) >= 0)) throw new AggregationError('the aggregate is not finite (the strategy overflowed); no version is made');
    const round = base.round + 1;
    if (isStateful(strategy)) return { blob: this.#encodeVersion(next, state, round), accepted, rejected };
    // A task that sends f32 deltas wants exact versions, and an f32 patch would save nothing.
    if (this.#task.encoding === 'f32') return { blob: this.#encodeVersion(next, [], round), accepted, rejected };
    // The version is parent + decoded patch, so that a peer holding the parent rebuilds it bit for bit.
    // f16, not the deltas' int8: a patch's rounding stays in the model, and int8 patches cost
    // 0.5–0.9 points of mean accuracy over rounds 11–40 of the converge bench (BENCHMARKS.md).
    const update = new Float32Array(next.length);
    subtractInto(update, next, base.weights);
    const patch = encodeWeights({ manifest: this.#manifest, values: update }, PATCH_ENCODING);
    return { blob: this.#patched(base.weights, patch, round), patch, accepted, rejected };
  }

  /**
   * Rebuilds a version from its parent's blob and its patch blob (see the file comment). The
   * caller checks the result's hash against the advertised version hash.
   */
  applyPatch(parentBlob: Uint8Array, patchBlob: Uint8Array): Uint8Array {
    const known = rebuilt.get(patchBlob);
    if (known !== undefined && known.parent === parentBlob && known.manifest === this.#manifest) return known.version;
    const parent = this.#decodeVersion(parentBlob);
    if (parent.state.length > 0) throw new Error('the parent carries server state; versions with state have no patch');
    const version = this.#patched(parent.weights, patchBlob, parent.round + 1);
    rebuilt.set(patchBlob, { parent: parentBlob, manifest: this.#manifest, version });
    return version;
  }

  /** The version blob of `round`: parent + decode(patch), each sum one float32 addition. */
  #patched(parent: Float32Array, patchBlob: Uint8Array, round: number): Uint8Array {
    const update = decodeWeights(patchBlob, this.#manifest, { maxBytes: this.#task.timing.maxBlobBytes }).values;
    const bad = allFinite(update);
    if (bad >= 0) throw new Error(`patch value ${bad} is not finite`);
    const version = parent.slice();
    addScaledInto(version, update);
    return this.#encodeVersion(version, [], round);
  }

  /**
   * The sample-weighted average of versions (weights and server state alike), as the version of
   * `round`: same-round versions in curator mode, neighbours' models in gossip mode — there, with
   * `gossip.clipRadius` set, the clipped gossip merge around leaves[0], the peer's own model.
   */
  merge(leaves: readonly { readonly blob: Uint8Array; readonly samples: number }[], round: number): Uint8Array {
    const decoded = leaves.map((leaf) => ({ ...this.#decodeVersion(leaf.blob), samples: leaf.samples }));
    const clipRadius = this.#task.mode === 'gossip' ? this.#task.gossip?.clipRadius : undefined;
    if (clipRadius !== undefined) return this.#encodeVersion(clippedGossipMerge(decoded, clipRadius).weights, [], round);
    const { weights, state } = (this.#definition.merge ?? averageVersions)(decoded);
    return this.#encodeVersion(weights, state, round);
  }

  /** Loads a version into the model and evaluates it (not while training: see `validate`). */
  evaluate(versionBlob: Uint8Array, dataset: Dataset): EvalMetrics {
    writeWeights(this.#model, { manifest: this.#manifest, values: this.#decodeVersion(versionBlob).weights });
    return evaluate(this.#model, dataset);
  }

  /** The model holding a version's weights, e.g. to export it. */
  modelWith(versionBlob: Uint8Array): LayersModel {
    writeWeights(this.#model, { manifest: this.#manifest, values: this.#decodeVersion(versionBlob).weights });
    return this.#model;
  }

  dispose(): void {
    if (this.#ownsSlot) this.#slot.dispose();
  }
}
