/**
 * Version blobs (docs/PROTOCOL.md §3.7): the model's weights, then the aggregation strategy's
 * server state (`server-state/<i>` tensors), then an empty tensor `round/<r>` naming the round
 * the version belongs to, in the GFLW f32 encoding. The round tag makes every round's version a
 * blob of its own even when its weights equal its parent's (a round whose deltas were all zero),
 * and binds a pulled blob to the round its advert claims. A version pulled from
 * another peer is checked in full before anything uses it — layout, every tensor's name and
 * shape, the state the task's strategy keeps, and that every value is finite — so that a blob
 * a member made up cannot stop training (NaN weights) or poison later rounds (wrong-shape state).
 */
import { strategyDefinition, type StrategyName } from '../aggregate/index.ts';
import { GossipflError } from '../errors.ts';
import { allFinite, decodeWeights, encodedSize, encodeWeights, type WeightsManifest } from '../learn/weights/index.ts';

/** A version blob that is not a valid version of this task's model. */
export class InvalidVersionError extends GossipflError {
  override name = 'InvalidVersionError';
}

export const STATE_PREFIX = 'server-state/';
export const ROUND_PREFIX = 'round/';
const ROUND_TAG = /^round\/(0|[1-9][0-9]{0,15})$/;

/** How many state tensors a version aggregated with `strategy` carries (0 before its first aggregation). */
export function stateTensorCount(strategy: StrategyName): number {
  return strategyDefinition(strategy).stateTensors;
}

export interface VersionContent {
  readonly weights: Float32Array;
  readonly state: readonly Float32Array[];
  /** The round the version belongs to (its `round/<r>` tag). */
  readonly round: number;
}

export class VersionCodec {
  readonly #manifest: WeightsManifest;
  readonly #parameters: number;
  readonly #stateTensors: number;
  readonly #maxBytes: number;

  /**
   * `manifest`: the model's tensors; `strategy`: the task's aggregation strategy (how many state
   * tensors a version may carry); `maxBytes`: the task's maxBlobBytes.
   */
  constructor(manifest: WeightsManifest, strategy: StrategyName, maxBytes: number) {
    this.#manifest = manifest;
    this.#parameters = manifest.tensors.reduce((sum, t) => sum + t.shape.reduce((p, d) => p * d, 1), 0);
    this.#stateTensors = stateTensorCount(strategy);
    this.#maxBytes = maxBytes;
  }

  /** Model parameters in a version (the length of `weights` and of each state tensor). */
  get parameters(): number {
    return this.#parameters;
  }

  /** The version blob of `round` holding `weights` and `state`. */
  encode(weights: Float32Array, state: readonly Float32Array[], round: number): Uint8Array {
    if (!Number.isSafeInteger(round) || round < 0) throw new RangeError(`a version's round must be a whole number ≥ 0, got ${round}`);
    const n = this.#parameters;
    const tensors = [
      ...this.#manifest.tensors,
      ...state.map((_, i) => ({ name: `${STATE_PREFIX}${i}`, shape: [n], dtype: 'float32' as const })),
      { name: `${ROUND_PREFIX}${round}`, shape: [0], dtype: 'float32' as const },
    ];
    const values = new Float32Array(n * (1 + state.length));
    values.set(weights);
    state.forEach((s, i) => values.set(s, n * (i + 1)));
    return encodeWeights({ manifest: { tensors }, values }, 'f32');
  }

  /** The version's weights and state; throws InvalidVersionError saying what is wrong. */
  decode(blob: Uint8Array): VersionContent {
    let decoded;
    try {
      decoded = decodeWeights(blob, undefined, { maxBytes: this.#maxBytes });
    } catch (error) {
      throw new InvalidVersionError(`the version is not a weights blob: ${(error as Error).message}`);
    }
    if (blob.byteLength !== encodedSize(decoded.manifest, 'f32')) throw new InvalidVersionError('the version is not f32-encoded; versions always are');
    const tensors = decoded.manifest.tensors;
    const model = this.#manifest.tensors;
    for (let i = 0; i < model.length; i++) {
      const got = tensors[i];
      const want = model[i]!;
      if (got === undefined) throw new InvalidVersionError(`the version has ${tensors.length} tensors; this task's model alone has ${model.length}`);
      if (got.name !== want.name || got.shape.join() !== want.shape.join()) {
        throw new InvalidVersionError(`tensor ${i} of the version is ${got.name} [${got.shape.join(', ')}]; this task's model has ${want.name} [${want.shape.join(', ')}]`);
      }
    }
    const tag = tensors.at(-1);
    const tagged = tag !== undefined && tensors.length > model.length ? ROUND_TAG.exec(tag.name) : null;
    if (tagged === null || tag!.shape.length !== 1 || tag!.shape[0] !== 0) {
      throw new InvalidVersionError(`the version's last tensor must be its round tag round/<r> of shape [0]; it is ${tag === undefined || tensors.length <= model.length ? 'missing' : `${tag.name} [${tag.shape.join(', ')}]`}`);
    }
    const round = Number(tagged[1]);
    if (!Number.isSafeInteger(round)) throw new InvalidVersionError(`the version's round tag ${tag!.name} is beyond 2^53 − 1`);
    const state = tensors.slice(model.length, -1);
    if (state.length !== 0 && state.length !== this.#stateTensors) {
      throw new InvalidVersionError(`the version carries ${state.length} server-state tensors; this task's strategy keeps ${this.#stateTensors === 0 ? 'none' : this.#stateTensors}`);
    }
    const n = this.#parameters;
    state.forEach((tensor, i) => {
      const name = `${STATE_PREFIX}${i}`;
      if (tensor.name !== name || tensor.shape.length !== 1 || tensor.shape[0] !== n) {
        throw new InvalidVersionError(`state tensor ${i} of the version is ${tensor.name} [${tensor.shape.join(', ')}]; expected ${name} [${n}]`);
      }
    });
    const bad = allFinite(decoded.values);
    if (bad >= 0) {
      const where = bad < n ? `weight ${bad}` : `${STATE_PREFIX}${Math.floor(bad / n) - 1} value ${bad % n}`;
      throw new InvalidVersionError(`${where} of the version is ${decoded.values[bad]}; every value must be finite`);
    }
    const values = decoded.values;
    return {
      weights: values.subarray(0, n),
      state: state.map((_, i) => values.subarray(n * (i + 1), n * (i + 2))),
      round,
    };
  }
}
