/**
 * A hostile peer's learner: the port a simulated peer trains through (RuntimeLearner), with
 * `train` returning a poisoned delta instead of the honest one. Everything else — the round
 * engine, the runtime, adverts, pulls — is the honest peer's own, so the attacker takes part
 * in rounds exactly as an honest member does (and curates honestly when elected: malicious
 * curators are sim/attack/lying-curator.ts). Its delta is a well-formed blob in the task's encoding, claims
 * the attacker's own sample count and, when the task bounds delta norms (`maxDeltaNorm`), is
 * scaled to stay within the bound: the poisoning is what validation cannot see. In gossip mode,
 * where peers send models, sign-flip poisons the trained model instead (`signFlippedModel`).
 */
import type { TrainedDelta } from '../../node/peer/learner.ts';
import type { RuntimeLearner } from '../../node/peer/runtime.ts';
import { Rng } from '../../node/learn/rng.ts';
import { decodeWeights, encodeWeights, parameterCount, type WeightsEncoding, type WeightsManifest } from '../../node/learn/weights/index.ts';
import { alieDelta, clipToNorm, gaussianDelta, ipmDelta, signFlipped, staleDelta } from './deltas.ts';
import { withTrain, type HonestDeltas } from './honest-deltas.ts';
import type { CuratorAttack, ResolvedAttack } from './spec.ts';
import type { TrainMetrics } from '../../protocols/messages.ts';

/** Bounded deltas are scaled to this share of the bound, so that int8 rounding cannot push them over it. */
const UNDER_BOUND = 0.99;

/** The attacks on deltas (and gossip models): every attack but a malicious curator's. */
export type DeltaAttack = Exclude<ResolvedAttack, CuratorAttack>;

export interface HostileInit {
  readonly attack: DeltaAttack;
  /** The attacker's own learner: on its data, or on its data with flipped labels for `label-flip`. */
  readonly own: RuntimeLearner;
  /** Rows the attacker holds: the sample count its adverts claim. */
  readonly samples: number;
  readonly board: HonestDeltas;
  /** The model's tensors (deltas are encoded with them). */
  readonly manifest: WeightsManifest;
  readonly encoding: WeightsEncoding;
  readonly maxDeltaNorm: number | undefined;
  /** Seeds the Gaussian attack's draws (per round). */
  readonly seed: string;
}

const values = (blob: Uint8Array): Float32Array => decodeWeights(blob).values;

function meanMetrics(deltas: readonly TrainedDelta[]): TrainMetrics {
  if (deltas.length === 0) return { loss: 0, accuracy: 0 };
  const sum = deltas.reduce((acc, { metrics }) => ({ loss: acc.loss + metrics.loss, accuracy: acc.accuracy + metrics.accuracy }), { loss: 0, accuracy: 0 });
  return { loss: sum.loss / deltas.length, accuracy: sum.accuracy / deltas.length };
}

/**
 * The poisoned delta of `attack` from `base` in `round`, as flat values, with the training
 * metrics its advert claims (its own where it trains, else the honest cohort's mean).
 */
export async function poisonedDelta(init: HostileInit, base: Uint8Array, round: number, previousBase: Uint8Array | undefined, signal?: AbortSignal): Promise<{ values: Float32Array; metrics: TrainMetrics }> {
  const { attack, own, board } = init;
  const honest = async () => (await board.of(base, round)).map(({ delta }) => delta);
  switch (attack.kind) {
    case 'sign-flip': {
      const trained = await own.train(base, round, signal);
      return { values: signFlipped(values(trained.blob), attack.scale), metrics: trained.metrics };
    }
    case 'label-flip': {
      const trained = await own.train(base, round, signal);
      return { values: values(trained.blob), metrics: trained.metrics };
    }
    case 'alie':
    case 'ipm': {
      const deltas = await honest();
      if (deltas.length === 0) return { values: new Float32Array(parameterCount(init.manifest)), metrics: meanMetrics(deltas) };
      const flat = deltas.map((delta) => values(delta.blob));
      return { values: attack.kind === 'alie' ? alieDelta(flat, attack.z) : ipmDelta(flat, attack.epsilon), metrics: meanMetrics(deltas) };
    }
    case 'mimic': {
      const copied = await board.deltaOf(attack.target, base, round);
      return { values: values(copied.blob), metrics: copied.metrics };
    }
    case 'gaussian': {
      const rng = new Rng(`${init.seed}/gaussian/${round}`);
      return { values: gaussianDelta(parameterCount(init.manifest), attack.sigma, rng), metrics: meanMetrics(await honest()) };
    }
    case 'free-rider': {
      const parameters = parameterCount(init.manifest);
      const delta =
        attack.delta === 'zero'
          ? new Float32Array(parameters)
          : staleDelta(values(base).subarray(0, parameters), previousBase === undefined ? undefined : values(previousBase).subarray(0, parameters));
      return { values: delta, metrics: meanMetrics(await honest()) };
    }
    default: {
      const unknown: never = attack;
      throw new Error(`unknown attack ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * Gossip mode's sign-flip: the version blob `base − scale·(trained − base)` over the model's
 * `parameters` weights (the round tag kept), a model `scale` training steps the wrong way.
 */
export function signFlippedModel(base: Uint8Array, trained: Uint8Array, scale: number, parameters: number): Uint8Array {
  const from = values(base);
  const { manifest, values: model } = decodeWeights(trained);
  const poisoned = model.slice();
  for (let i = 0; i < parameters; i++) poisoned[i] = (from[i] as number) - scale * ((model[i] as number) - (from[i] as number));
  return encodeWeights({ manifest, values: poisoned }, 'f32');
}

/**
 * The hostile peer's learner: `own`'s, with `train` poisoned (see the file comment) and, for
 * sign-flip, gossip mode's `trainModel` too (`signFlippedModel`); label-flip poisons both through
 * its flipped data. arm.ts refuses the other attacks in gossip mode.
 */
export function hostileLearner(init: HostileInit): RuntimeLearner {
  const learner = curatorModeHostile(init);
  const attack = init.attack;
  if (attack.kind !== 'sign-flip') return learner;
  return {
    ...learner,
    async trainModel(base, round, signal) {
      const trained = await init.own.trainModel(base, round, signal);
      return { ...trained, blob: signFlippedModel(base, trained.blob, attack.scale, parameterCount(init.manifest)) };
    },
  };
}

function curatorModeHostile(init: HostileInit): RuntimeLearner {
  /** The base of the last round trained, for the free-rider's stale delta. */
  let last: { readonly round: number; readonly base: Uint8Array } | undefined;
  return withTrain(init.own, async (base, round, signal) => {
    const previous = last !== undefined && last.round < round ? last.base : undefined;
    last = { round, base };
    const { values: poisoned, metrics } = await poisonedDelta(init, base, round, previous, signal);
    if (init.maxDeltaNorm !== undefined) clipToNorm(poisoned, init.maxDeltaNorm * UNDER_BOUND);
    const blob = encodeWeights({ manifest: init.manifest, values: poisoned }, init.encoding);
    return { blob, samples: init.samples, metrics };
  });
}
