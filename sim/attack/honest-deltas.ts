/**
 * The omniscient attackers' view of a round: the deltas that the honest members of the round's
 * cohort compute from a base. The simulator can give it because it runs every peer: each honest
 * peer's training is shared through this board (`honestLearner`), so a delta an attacker asked
 * for is the very delta that peer sends later, and each is trained once. The cohort is the
 * engine's own draw (node/round/election.ts: round, base hash, peer id, cohort fraction), over
 * every honest peer, online or not.
 */
import { createHash } from 'node:crypto';
import { inCohort } from '../../node/round/election.ts';
import type { RuntimeLearner } from '../../node/peer/runtime.ts';
import type { TrainedDelta } from '../../node/peer/learner.ts';

/** A honest peer's delta of the round, as it sends it. */
export interface HonestDelta {
  readonly index: number;
  readonly delta: TrainedDelta;
}

const hashes = new WeakMap<Uint8Array, string>();

/** The content hash a version is advertised under (store/blobs.ts: sha256, lowercase hex). */
export function blobHash(blob: Uint8Array): string {
  let hash = hashes.get(blob);
  if (hash === undefined) hashes.set(blob, (hash = createHash('sha256').update(blob).digest('hex')));
  return hash;
}

/** `learner` with its `train` replaced (every other method is the learner's own, bound to it). */
export function withTrain(learner: RuntimeLearner, train: RuntimeLearner['train']): RuntimeLearner {
  return {
    genesisBlob: () => learner.genesisBlob(),
    checkVersion: (blob, round) => learner.checkVersion(blob, round),
    train,
    trainModel: (base, round, signal) => learner.trainModel(base, round, signal),
    validate: (version) => learner.validate(version),
    aggregate: (base, offered) => learner.aggregate(base, offered),
    applyPatch: (parent, patch) => learner.applyPatch(parent, patch),
    merge: (leaves, round) => learner.merge(leaves, round),
    ...(learner.screenUpdates === undefined ? {} : { screenUpdates: (base: Uint8Array, offered: Parameters<NonNullable<RuntimeLearner['screenUpdates']>>[1]) => learner.screenUpdates!(base, offered) }),
  };
}

export class HonestDeltas {
  readonly #learners = new Map<number, RuntimeLearner>();
  readonly #ids: readonly string[];
  readonly #cohortFraction: number;
  /** Trainings by `${round}/${base hash}/${peer index}`, kept for the latest two rounds. */
  readonly #trained = new Map<string, { readonly round: number; readonly result: Promise<TrainedDelta> }>();
  #latestRound = 0;

  /** `ids[i]` is peer i's id (the cohort draw uses it). */
  constructor(ids: readonly string[], cohortFraction: number) {
    this.#ids = ids;
    this.#cohortFraction = cohortFraction;
  }

  /** Honest peer `index`'s learner, its training shared with the board. */
  honestLearner(index: number, learner: RuntimeLearner): RuntimeLearner {
    this.#learners.set(index, learner);
    return withTrain(learner, (base, round, signal) => this.#train(index, base, round, signal));
  }

  #train(index: number, base: Uint8Array, round: number, signal?: AbortSignal): Promise<TrainedDelta> {
    const key = `${round}/${blobHash(base)}/${index}`;
    const known = this.#trained.get(key);
    if (known !== undefined) return known.result;
    const result = this.#learners.get(index)!.train(base, round, signal);
    this.#trained.set(key, { round, result });
    // A training aborted (its peer stopped) is not the round's delta: a later request trains again.
    result.catch(() => this.#trained.delete(key));
    if (round > this.#latestRound) {
      this.#latestRound = round;
      for (const [k, entry] of this.#trained) if (entry.round < round - 1) this.#trained.delete(k);
    }
    return result;
  }

  /** The honest cohort members of `round` from `base`, by peer index. */
  cohort(base: Uint8Array, round: number): number[] {
    const hash = blobHash(base);
    return [...this.#learners.keys()].sort((a, b) => a - b).filter((index) => inCohort(round, hash, this.#ids[index]!, this.#cohortFraction));
  }

  /** The deltas every honest member of the round's cohort sends from `base`, in peer order. */
  async of(base: Uint8Array, round: number): Promise<HonestDelta[]> {
    const members = this.cohort(base, round);
    return Promise.all(members.map(async (index) => ({ index, delta: await this.#train(index, base, round) })));
  }

  /** Honest peer `index`'s delta of the round (trained now unless it has been). */
  async deltaOf(index: number, base: Uint8Array, round: number): Promise<TrainedDelta> {
    if (!this.#learners.has(index)) throw new RangeError(`peer ${index} is not an honest peer`);
    return this.#train(index, base, round);
  }
}
