/**
 * The round engine in gossip mode (gossip learning: Ormándi et al. 2013, Hegedűs et al. 2019):
 * no curator, no global round. Every gossip period a peer pulls the current model of one live
 * neighbour, merges it with its own weighted by age (samples each model has been trained on),
 * trains the merge on its local data and announces the result. A peer's "round" counts its own
 * update cycles. Pure state machine, like the curator engine (see events.ts).
 *
 *   merged = (a_own + 1)·w_own + (a_their + 1)·w_their, normalised;  age = max(a_own, a_their)
 *   then train: age += local samples
 *
 * The neighbour is chosen deterministically from sha256("gossip" ‖ self ‖ cycle) over the sorted
 * live peers whose head differs from ours, so a run replays exactly in the simulator.
 */
import { createHash } from 'node:crypto';
import type { Advert, Hash, PeerIdString } from '../../protocols/messages.ts';
import type { Effect, EngineEvent, Head } from './events.ts';

export interface GossipEngineConfig {
  readonly self: PeerIdString;
  readonly task: string;
  /** Time between the starts of two update cycles. */
  readonly gossipIntervalMs: number;
  readonly presenceIntervalMs: number;
  readonly peerTimeoutMs: number;
  /** Stop after this many own update cycles. */
  readonly maxRounds?: number;
}

interface Neighbour {
  readonly head: Hash;
  readonly age: number;
  readonly seen: number;
}

type Step = { readonly kind: 'idle' } | { readonly kind: 'pulling'; readonly from: PeerIdString; readonly hash: Hash; readonly age: number } | { readonly kind: 'merging' } | { readonly kind: 'training' };

export class GossipEngine {
  readonly config: GossipEngineConfig;
  #head: Head | undefined;
  #age = 0;
  #step: Step = { kind: 'idle' };
  #finished = false;
  readonly #neighbours = new Map<PeerIdString, Neighbour>();

  constructor(config: GossipEngineConfig) {
    this.config = config;
  }

  get head(): Head | undefined {
    return this.#head;
  }

  /** The model's age: samples it has been trained on, counting merged-in models by their maximum. */
  get age(): number {
    return this.#age;
  }

  get round(): number {
    return (this.#head?.round ?? -1) + 1;
  }

  handle(event: EngineEvent): Effect[] {
    const effects: Effect[] = [];
    switch (event.type) {
      case 'start':
        this.#head = event.head;
        effects.push({ type: 'set-timer', timer: 'presence', delayMs: 0 }, { type: 'set-timer', timer: 'gossip', delayMs: this.config.gossipIntervalMs });
        break;
      case 'advert':
        this.#onAdvert(event.from, event.advert, event.now);
        break;
      case 'timer':
        if (event.timer === 'presence') this.#announce(event.now, effects, true);
        else if (event.timer === 'gossip') this.#startCycle(event.now, effects);
        break;
      case 'fetched':
        this.#onFetched(event.hash, effects);
        break;
      case 'fetch-failed':
        effects.push({ type: 'log', level: 'warn', message: `could not pull ${event.hash.slice(0, 12)}: ${event.reason}; training on our own model this cycle` });
        this.#train(effects);
        break;
      case 'merged':
        this.#step = { kind: 'training' };
        effects.push({ type: 'train-model', round: this.round, base: event.version });
        break;
      case 'merge-failed':
        effects.push({ type: 'log', level: 'warn', message: `merging with a neighbour failed: ${event.reason}` });
        this.#train(effects);
        break;
      case 'trained-model':
        this.#onTrained(event, effects);
        break;
      case 'train-failed':
        this.#step = { kind: 'idle' };
        effects.push({ type: 'log', level: 'warn', message: `training failed: ${event.reason}` });
        break;
      case 'trained':
      case 'aggregated':
      case 'aggregate-failed':
        effects.push({ type: 'log', level: 'warn', message: `a curator-mode ${event.type} event reached a gossip-mode engine; ignored` });
        break;
      default: {
        const unknown: never = event;
        throw new Error(`unknown engine event ${JSON.stringify(unknown)}`);
      }
    }
    return effects;
  }

  #onAdvert(from: PeerIdString, advert: Advert, now: number): void {
    if (advert.task !== this.config.task || advert.kind !== 'presence') return;
    this.#neighbours.set(from, { head: advert.head, age: advert.age, seen: now });
  }

  #announce(now: number, effects: Effect[], rearm: boolean): void {
    const head = this.#head;
    if (head !== undefined) {
      effects.push({ type: 'publish', advert: { kind: 'presence', task: this.config.task, round: head.round, head: head.hash, age: this.#age, sentAt: now } });
    }
    if (rearm) effects.push({ type: 'set-timer', timer: 'presence', delayMs: this.config.presenceIntervalMs });
  }

  /** The neighbour to pull from this cycle, or undefined when none is live with another model. */
  #pickNeighbour(now: number): [PeerIdString, Neighbour] | undefined {
    const head = this.#head!;
    const candidates = [...this.#neighbours]
      .filter(([peer, n]) => peer !== this.config.self && now - n.seen <= this.config.peerTimeoutMs && n.head !== head.hash)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    if (candidates.length === 0) return undefined;
    const digest = createHash('sha256').update(`gossip\0${this.config.self}\0${head.round}`, 'utf8').digest();
    return candidates[digest.readUInt32BE(0) % candidates.length];
  }

  #startCycle(now: number, effects: Effect[]): void {
    effects.push({ type: 'set-timer', timer: 'gossip', delayMs: this.config.gossipIntervalMs });
    if (this.#finished || this.#head === undefined) return;
    if (this.#step.kind !== 'idle') {
      effects.push({ type: 'log', level: 'info', message: `cycle ${this.round} still busy (${this.#step.kind}) at the next gossip tick; skipping a tick` });
      return;
    }
    const picked = this.#pickNeighbour(now);
    if (picked === undefined) {
      this.#train(effects);
      return;
    }
    const [from, neighbour] = picked;
    this.#step = { kind: 'pulling', from, hash: neighbour.head, age: neighbour.age };
    effects.push({ type: 'fetch-version', hash: neighbour.head, round: this.round, holders: [from] });
  }

  #onFetched(hash: Hash, effects: Effect[]): void {
    const step = this.#step;
    const head = this.#head;
    if (step.kind !== 'pulling' || step.hash !== hash || head === undefined) return;
    this.#step = { kind: 'merging' };
    effects.push({
      type: 'merge',
      round: this.round,
      parent: head.hash,
      leaves: [
        { hash: head.hash, samples: this.#age + 1, holders: [] },
        { hash, samples: step.age + 1, holders: [step.from] },
      ],
    });
    this.#age = Math.max(this.#age, step.age);
  }

  #train(effects: Effect[]): void {
    this.#step = { kind: 'training' };
    effects.push({ type: 'train-model', round: this.round, base: this.#head!.hash });
  }

  #onTrained(event: Extract<EngineEvent, { type: 'trained-model' }>, effects: Effect[]): void {
    this.#step = { kind: 'idle' };
    this.#age += event.samples;
    const head: Head = { round: event.round, hash: event.version, parent: this.#head?.hash, contributors: [], merged: [], curator: this.config.self, bytes: event.bytes };
    this.#head = head;
    effects.push({ type: 'adopt', head });
    this.#announce(event.now, effects, false);
    if (this.config.maxRounds !== undefined && head.round >= this.config.maxRounds && !this.#finished) {
      this.#finished = true;
      effects.push({ type: 'finished', head });
    }
  }
}
