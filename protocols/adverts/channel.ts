/**
 * The advert half of the round engine's Transport port over gossipsub: publish adverts on the
 * task topic, with this peer's statement signatures filled in (statements.ts), receive the ones
 * that pass `validateAdvert` (topic.ts, signatures included) with their verified author.
 *
 *     const channel = createAdvertChannel(host, 'mnist-demo', { sign: signWith(privateKey), currentRound: () => engine.round });
 *     const off = channel.onAdvert(({ from, advert }) => ...);
 *     await channel.publish(advert);
 *     channel.stop();
 *
 * Publishing with no subscribed peer yet does not throw: the advert is DROPPED, reported through
 * `log`, and `publish` resolves `{ sent: false }`. Adverts are superseded quickly (a presence
 * advert repeats, a delta advert has a deadline), so a queue would only deliver stale news; the
 * engine re-publishes what still matters. `{ sent: true, recipients }` otherwise.
 */
import type { Message } from '@libp2p/gossipsub';
import type { Advert, PeerIdString, ReceivedAdvert } from '../messages.ts';
import type { Transport } from '../../node/round/ports.ts';
import type { Host } from '../../node/host/host.ts';
import { GossipflError } from '../../node/errors.ts';
import { DEFAULT_ADVERT_LIMITS, decodeAdvert, encodeAdvert } from './codec.ts';
import { sealAdvert, type SignStatement } from './statements.ts';
import {
  advertTopic,
  advertTopicValidator,
  DEFAULT_MAX_AGE_MS,
  DEFAULT_MAX_SKEW_MS,
  ReplayGuard,
  type AdvertValidationContext,
} from './topic.ts';

export class AdvertChannelError extends GossipflError {
  override name = 'AdvertChannelError';
}

export interface AdvertChannelOptions extends Omit<AdvertValidationContext, 'taskId' | 'replay'> {
  /** Signs this peer's statements in what it publishes (statements.ts): with the host's own key. */
  readonly sign: SignStatement;
  /** Called for every rejected message with the reason and author (undefined if unsigned). */
  readonly onRejected?: (reason: string, from: PeerIdString | undefined) => void;
  /** Called for every ignored (stale, old-round, duplicate) message. */
  readonly onIgnored?: (reason: string, from: PeerIdString) => void;
  /** One-line operational messages (dropped publishes, rejections). Default: none. */
  readonly log?: (line: string) => void;
  /** Replay/duplicate detection. Default: a fresh `ReplayGuard`; `false` turns it off. */
  readonly replay?: ReplayGuard | false;
}

export type PublishOutcome =
  | { readonly sent: true; readonly recipients: readonly PeerIdString[] }
  | { readonly sent: false; readonly reason: string };

export interface AdvertChannel extends Pick<Transport, 'self' | 'onAdvert'> {
  readonly topic: string;
  readonly taskId: string;
  /** Encodes and publishes; never throws for "no peers yet" (see the file comment). */
  publish(advert: Advert): Promise<PublishOutcome>;
  /** Unsubscribes, removes the validator and every listener and handler. Idempotent. */
  stop(): void;
}

export function createAdvertChannel(host: Host, taskId: string, options: AdvertChannelOptions): AdvertChannel {
  const topic = advertTopic(taskId);
  const pubsub = host.services.pubsub;
  if (pubsub.topicValidators.has(topic)) {
    throw new AdvertChannelError(`task ${taskId} already has an advert channel on this host: stop it before creating another`);
  }
  const log = options.log ?? (() => {});
  const limits = options.limits ?? DEFAULT_ADVERT_LIMITS;
  const handlers = new Set<(received: ReceivedAdvert) => void>();
  const accepted = new WeakMap<Message, Advert>();
  let stopped = false;

  const { replay, onRejected, onIgnored, log: _log, sign, ...context } = options;
  const guard = replay === false ? undefined : (replay ?? new ReplayGuard());
  const now = options.now ?? Date.now;
  const replayWindowMs = (options.maxAgeMs ?? DEFAULT_MAX_AGE_MS) + (options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS);
  const self = host.peerId.toString();
  const validator = advertTopicValidator({
    ...context,
    taskId,
    limits,
    ...(guard === undefined ? {} : { replay: guard }),
    onAccepted: (message, advert) => {
      accepted.set(message, advert);
    },
    onRejected: (reason, from) => {
      log(`adverts ${topic}: rejected a message from ${from ?? 'an unsigned author'}: ${reason}`);
      onRejected?.(reason, from);
    },
    onIgnored: (reason, from) => onIgnored?.(reason, from),
  });

  const onMessage = (event: CustomEvent<Message>): void => {
    const message = event.detail;
    if (message.topic !== topic || message.type !== 'signed') return;
    // The validator has accepted it; decode again only if gossipsub passed a copy.
    const advert = accepted.get(message) ?? decodeAdvert(message.data, limits);
    const received: ReceivedAdvert = { from: message.from.toString(), advert };
    for (const handler of [...handlers]) {
      try {
        handler(received);
      } catch (error) {
        log(`adverts ${topic}: an advert handler threw: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };

  pubsub.topicValidators.set(topic, validator);
  pubsub.addEventListener('message', onMessage);
  pubsub.subscribe(topic);

  return {
    topic,
    taskId,
    self,
    async publish(advert) {
      if (stopped) throw new AdvertChannelError(`the advert channel of task ${taskId} is stopped`);
      if (advert.task !== taskId) {
        throw new AdvertChannelError(`advert for task ${JSON.stringify(advert.task)} cannot go on the channel of task ${taskId}`);
      }
      const bytes = encodeAdvert(sealAdvert(advert, self, sign), limits);
      // Our own adverts count as first seen from us: another peer re-publishing them is a replay.
      guard?.check(bytes, advert, self, now(), replayWindowMs);
      try {
        const result = await pubsub.publish(topic, bytes);
        return { sent: true, recipients: result.recipients.map(String) };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (message === 'PublishError.NoPeersSubscribedToTopic') {
          const reason = `no peer subscribed to ${topic} yet: ${advert.kind} advert for round ${advert.round} dropped`;
          log(`adverts ${topic}: ${reason}`);
          return { sent: false, reason };
        }
        throw error;
      }
    },
    onAdvert(handler) {
      handlers.add(handler);
      return () => {
        handlers.delete(handler);
      };
    },
    stop() {
      if (stopped) return;
      stopped = true;
      handlers.clear();
      pubsub.removeEventListener('message', onMessage);
      if (pubsub.topicValidators.get(topic) === validator) pubsub.topicValidators.delete(topic);
      if (host.status === 'started') pubsub.unsubscribe(topic);
    },
  };
}
