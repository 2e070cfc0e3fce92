/**
 * The task topic and its gossipsub validator.
 *
 * Topic: `/gossipfl/task/<taskId>/adverts/1` — one topic per task; the trailing `1` is the
 * advert wire-format version (adverts.proto), bumped on an incompatible change.
 *
 * Every message on the topic is judged before gossipsub delivers or forwards it:
 *
 * Reject (gossipsub penalises the peer that sent it to us, and drops it):
 * - `unsigned`: no author signature (StrictSign already refuses these; checked again here);
 * - `malformed`: the bytes are not a valid advert (codec.ts, with the precise reason);
 * - `foreign task`: the advert's task is not this topic's task;
 * - `from the future`: `sentAt` more than `maxSkewMs` (default 5 min) ahead of our clock;
 * - `stale`: `sentAt` more than `maxAgeMs` (default 10 min) behind our clock. Honest peers
 *   announce with a fresh `sentAt` and gossipsub delivers in seconds, so such an advert is a
 *   replay older than the replay window, or comes from a clock that needs fixing;
 * - `bad signature`: a statement signature is missing or not its signer's (statements.ts): a
 *   delta advert's, a listed contributor's, or a version's curator's;
 * - `replay`: the exact bytes of a delta advert first published by another peer (within the
 *   `maxAgeMs + maxSkewMs` window). Two peers may name the same delta hash: honest members
 *   whose training changed nothing both send the all-zero delta, and a member that copies
 *   another's delta gains no more than by sending any delta it likes (which it can).
 *
 * Ignore (dropped, not forwarded, nobody penalised — honest peers send these when slow):
 * - `old round`: a delta advert for a round below our current round − 1;
 * - `duplicate`: the same advert bytes again from the same author (a re-publish).
 */
import { createHash } from 'node:crypto';
import { TopicValidatorResult, type Message, type TopicValidatorFn } from '@libp2p/gossipsub';
import type { Advert, PeerIdString } from '../messages.ts';
import { GossipflError } from '../../node/errors.ts';
import { AdvertDecodeError, DEFAULT_ADVERT_LIMITS, decodeAdvert, type AdvertLimits } from './codec.ts';
import { signatureProblem, verifyByPeerId, type VerifyStatement } from './statements.ts';

export const DEFAULT_MAX_SKEW_MS = 5 * 60_000;
export const DEFAULT_MAX_AGE_MS = 10 * 60_000;

/** Same rule as task manifests (node/task/manifest.ts TASK_ID_PATTERN), kept here for the topic. */
const TOPIC_TASK_ID = /^[a-z0-9][a-z0-9-]{2,63}$/;

export class AdvertTopicError extends GossipflError {
  override name = 'AdvertTopicError';
}

/** The gossipsub topic of task `taskId`. */
export function advertTopic(taskId: string): string {
  if (!TOPIC_TASK_ID.test(taskId)) {
    throw new AdvertTopicError(
      `task id ${JSON.stringify(taskId)} cannot name a topic: use 3–64 characters of a-z, 0-9 and "-", starting with a letter or digit`,
    );
  }
  return `/gossipfl/task/${taskId}/adverts/1`;
}

export type RejectCode = 'unsigned' | 'malformed' | 'foreign task' | 'from the future' | 'stale' | 'bad signature' | 'replay';
export type IgnoreCode = 'old round' | 'duplicate';

export type AdvertVerdict =
  | { readonly result: 'accept'; readonly advert: Advert; readonly from: PeerIdString }
  | { readonly result: 'reject'; readonly code: RejectCode; readonly reason: string; readonly from: PeerIdString | undefined }
  | { readonly result: 'ignore'; readonly code: IgnoreCode; readonly reason: string; readonly from: PeerIdString };

export interface AdvertValidationContext {
  readonly taskId: string;
  /** Milliseconds, Unix time. Default `Date.now`. */
  readonly now?: () => number;
  /** The receiver's current round, if it has one (delta adverts below it − 1 are ignored). */
  readonly currentRound?: () => number | undefined;
  readonly maxSkewMs?: number;
  readonly maxAgeMs?: number;
  readonly limits?: AdvertLimits;
  /** Replay and duplicate detection; without it those two rules are off. */
  readonly replay?: ReplayGuard;
  /** Checks statement signatures (statements.ts). Default: with the key inside each peer id. */
  readonly verify?: VerifyStatement;
}

/**
 * Judges one gossipsub message (see the file comment for the rules). Pure but for `replay`,
 * which records accepted adverts.
 */
export function validateAdvert(message: Message, context: AdvertValidationContext): AdvertVerdict {
  if (message.type !== 'signed') {
    return { result: 'reject', code: 'unsigned', reason: 'unsigned message: adverts must be signed by their author', from: undefined };
  }
  const from = message.from.toString();
  const reject = (code: RejectCode, reason: string): AdvertVerdict => ({ result: 'reject', code, reason, from });
  const ignore = (code: IgnoreCode, reason: string): AdvertVerdict => ({ result: 'ignore', code, reason, from });

  let advert: Advert;
  try {
    advert = decodeAdvert(message.data, context.limits ?? DEFAULT_ADVERT_LIMITS);
  } catch (error) {
    if (error instanceof AdvertDecodeError) return reject('malformed', error.message);
    throw error;
  }
  if (advert.task !== context.taskId) {
    return reject('foreign task', `advert for task ${JSON.stringify(advert.task)} on the topic of task ${JSON.stringify(context.taskId)}`);
  }
  const now = (context.now ?? Date.now)();
  const maxSkew = context.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  const maxAge = context.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  if (advert.sentAt > now + maxSkew) {
    return reject('from the future', `sentAt is ${advert.sentAt - now} ms ahead of this peer's clock (at most ${maxSkew} ms allowed)`);
  }
  if (advert.sentAt < now - maxAge) {
    return reject('stale', `sentAt is ${now - advert.sentAt} ms old (at most ${maxAge} ms accepted)`);
  }
  const badSignature = signatureProblem(advert, from, context.verify ?? verifyByPeerId);
  if (badSignature !== undefined) return reject('bad signature', badSignature);
  if (advert.kind === 'delta') {
    const current = context.currentRound?.();
    if (current !== undefined && advert.round < current - 1) {
      return ignore('old round', `delta advert for round ${advert.round}, this peer is at round ${current}`);
    }
  }
  if (context.replay !== undefined) {
    const seen = context.replay.check(message.data, advert, from, now, maxAge + maxSkew);
    if (seen !== undefined) return seen.code === 'duplicate' ? ignore(seen.code, seen.reason) : reject(seen.code, seen.reason);
  }
  return { result: 'accept', advert, from };
}

/**
 * Remembers, for a window, which peer first published each advert (by the sha256 of its bytes).
 * Bounded: entries older than the window are dropped, and at most
 * `maxEntries` are kept (the oldest go first).
 */
export class ReplayGuard {
  readonly #bytes = new Map<string, { from: PeerIdString; at: number }>();
  readonly #maxEntries: number;

  constructor(maxEntries = 100_000) {
    this.#maxEntries = maxEntries;
  }

  /** Returns why the advert is a replay or duplicate, or records it and returns undefined. */
  check(
    data: Uint8Array,
    advert: Advert,
    from: PeerIdString,
    now: number,
    windowMs: number,
  ): { code: 'replay' | 'duplicate'; reason: string } | undefined {
    this.#expire(now - windowMs);
    const digest = createHash('sha256').update(data).digest('hex');
    const first = this.#bytes.get(digest);
    if (first !== undefined) {
      if (first.from === from) return { code: 'duplicate', reason: `the same ${advert.kind} advert again from its author` };
      // Presence and version adverts name no author: two honest peers may send identical bytes
      // (same head, same millisecond; a head re-announced). Only a delta advert claims work.
      if (advert.kind === 'delta') return { code: 'replay', reason: `replay of a delta advert first published by ${first.from}` };
      return undefined;
    }
    this.#remember(this.#bytes, digest, from, now);
    return undefined;
  }

  #remember<K>(map: Map<K, { from: PeerIdString; at: number }>, key: K, from: PeerIdString, at: number): void {
    map.set(key, { from, at });
    if (map.size > this.#maxEntries) {
      const oldest = map.keys().next();
      if (oldest.done !== true) map.delete(oldest.value);
    }
  }

  #expire(before: number): void {
    // Insertion order is time order (the clock may step back a little: stop at the first young entry).
    for (const [key, entry] of this.#bytes) {
      if (entry.at >= before) break;
      this.#bytes.delete(key);
    }
  }
}

export interface AdvertValidatorOptions extends AdvertValidationContext {
  /** Called for every rejected message: the reason and the author (undefined if unsigned). */
  readonly onRejected?: (reason: string, from: PeerIdString | undefined) => void;
  /** Called for every ignored message. */
  readonly onIgnored?: (reason: string, from: PeerIdString) => void;
  /** Called with every accepted message and its decoded advert (before delivery). */
  readonly onAccepted?: (message: Message, advert: Advert) => void;
}

/** A gossipsub topic validator applying `validateAdvert`; set it with `pubsub.topicValidators.set(topic, fn)`. */
export function advertTopicValidator(options: AdvertValidatorOptions): TopicValidatorFn {
  return (_propagationSource, message) => {
    const verdict = validateAdvert(message, options);
    switch (verdict.result) {
      case 'accept':
        options.onAccepted?.(message, verdict.advert);
        return TopicValidatorResult.Accept;
      case 'reject':
        options.onRejected?.(`${verdict.code}: ${verdict.reason}`, verdict.from);
        return TopicValidatorResult.Reject;
      case 'ignore':
        options.onIgnored?.(`${verdict.code}: ${verdict.reason}`, verdict.from);
        return TopicValidatorResult.Ignore;
      default: {
        const unknown: never = verdict;
        throw new Error(`unknown verdict ${JSON.stringify(unknown)}`);
      }
    }
  };
}
