/**
 * A malicious curator's learner (sim/attack/spec.ts: `wrong-sum`, `drop-contributions`). It trains
 * and audits honestly; only the versions it curates lie — wrong-sum scales the round's update,
 * drop-contributions aggregates its own delta alone — while they list every contribution as
 * aggregated. Such a version is well formed, signed and entitled: only recomputing it tells
 * (node/round/audits.ts).
 *
 * Curating and auditing are the same learner call (`aggregate`), so the liar is told which call
 * is a curation: sim/run.ts hands it every effect its runtime executes (`watch`). An `aggregate`
 * effect names the deltas the curation will aggregate; the first aggregation of any of them is
 * that curation, and the effect is then used up — an audit of the same deltas later (after a
 * standby curated the round too) is honest. Audits of other rounds never match.
 */
import { PATCH_ENCODING, type AggregateResult } from '../../node/peer/learner.ts';
import type { RuntimeLearner } from '../../node/peer/runtime.ts';
import type { Effect } from '../../node/round/events.ts';
import { decodeWeights, encodeWeights, parameterCount, type WeightsManifest } from '../../node/learn/weights/index.ts';
import { hashBytes } from '../../node/store/blobs.ts';
import { signFlippedModel } from './hostile-learner.ts';
import type { CuratorAttack } from './spec.ts';

/** Curations announced but not yet aggregated that are remembered (a curation whose pulls failed never comes). */
const PENDING_CURATIONS = 8;

export interface LyingCuratorInit {
  readonly attack: CuratorAttack;
  /** Its honest learner: trains, validates and audits as an honest peer's does. */
  readonly own: RuntimeLearner;
  /** Its peer id: drop-contributions keeps the delta sent from it. */
  readonly self: string;
  /** The model's tensors (the weights a patch-less version scales). */
  readonly manifest: WeightsManifest;
}

export interface LyingCurator extends RuntimeLearner {
  /** Sees each effect the peer's runtime executes, before it runs (`PeerRuntime.observe`). */
  watch(effect: Effect): void;
  /** Hashes of the versions it forged: those whose aggregate differs from the honest one. */
  readonly forged: ReadonlySet<string>;
}

/**
 * wrong-sum's version: parent + scale·(honest − parent). From the honest patch when there is one
 * (the version is parent + patch, so the forged patch and version agree, as a curator's must);
 * else over the model's weights of the version blob (server state kept).
 */
export function scaledAggregate(own: RuntimeLearner, base: Uint8Array, honest: AggregateResult, scale: number, manifest: WeightsManifest): AggregateResult {
  if (honest.patch === undefined) return { ...honest, blob: signFlippedModel(base, honest.blob, -scale, parameterCount(manifest)) };
  const update = decodeWeights(honest.patch);
  const patch = encodeWeights({ manifest: update.manifest, values: update.values.map((value) => scale * value) }, PATCH_ENCODING);
  return { ...honest, patch, blob: own.applyPatch(base, patch) };
}

/** drop-contributions' version: its own delta alone (else the first accepted one), listing every accepted delta. */
export function ownOnlyAggregate(own: RuntimeLearner, base: Uint8Array, honest: AggregateResult, self: string): AggregateResult {
  const kept = honest.accepted.find((delta) => delta.from === self) ?? honest.accepted[0]!;
  return { ...own.aggregate(base, [kept]), accepted: honest.accepted, rejected: honest.rejected };
}

export function lyingCurator(init: LyingCuratorInit): LyingCurator {
  const { own, attack } = init;
  /** The deltas of each curation announced by an `aggregate` effect and not yet aggregated, oldest first. */
  const pending: Set<string>[] = [];
  const forged = new Set<string>();
  /** Whether aggregating `offered` is an announced curation (which is then used up). */
  const isCuration = (offered: readonly { readonly blob: Uint8Array }[]): boolean => {
    const hashes = offered.map((delta) => hashBytes(delta.blob));
    const at = pending.findIndex((deltas) => hashes.some((hash) => deltas.has(hash)));
    if (at < 0) return false;
    pending.splice(at, 1);
    return true;
  };
  return {
    genesisBlob: () => own.genesisBlob(),
    checkVersion: (blob, round) => own.checkVersion(blob, round),
    train: (base, round, signal) => own.train(base, round, signal),
    trainModel: (base, round, signal) => own.trainModel(base, round, signal),
    validate: (version) => own.validate(version),
    applyPatch: (parent, patch) => own.applyPatch(parent, patch),
    merge: (leaves, round) => own.merge(leaves, round),
    ...(own.screenUpdates === undefined ? {} : { screenUpdates: own.screenUpdates.bind(own) }),
    aggregate(base, offered) {
      const honest = own.aggregate(base, offered);
      if (honest.accepted.length === 0 || !isCuration(offered)) return honest;
      const lie = attack.kind === 'wrong-sum' ? scaledAggregate(own, base, honest, attack.scale, init.manifest) : ownOnlyAggregate(own, base, honest, init.self);
      const hash = hashBytes(lie.blob);
      if (hash !== hashBytes(honest.blob)) forged.add(hash);
      return lie;
    },
    watch(effect) {
      if (effect.type !== 'aggregate') return;
      pending.push(new Set(effect.deltas.map(({ advert }) => advert.delta)));
      if (pending.length > PENDING_CURATIONS) pending.shift();
    },
    forged,
  };
}
