/**
 * The round engine in gossip mode (gossip learning: Ormándi et al. 2013, Hegedűs et al. 2019):
 * no curator, no global round. Every gossip period a peer pulls the current models of up to
 * `neighbours` live neighbours (one in classic gossip learning; all s of them in Epidemic
 * Learning, de Vos et al. 2023), merges them with its own weighted by age (samples each model
 * has been trained on), trains the merge on its local data and announces the result. A peer's
 * "round" counts its own update cycles. Pure state machine, like the curator engine (events.ts).
 *
 *   merged = Σ (a_i + 1)·w_i / Σ (a_i + 1) over own and pulled models;  age = max a_i
 *   (with gossip.clipRadius τ: own + Σ_j clip(w_j − own, τ)/n instead, aggregate/clipped-gossip.ts)
 *   then train: age += local samples
 *
 * Neighbours are drawn deterministically from sha256("gossip" ‖ self ‖ cycle [‖ draw]) over the
 * sorted live peers whose head differs from ours, so a run replays exactly in the simulator.
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
  /** Most neighbours whose models are pulled and merged per cycle (≥ 1). */
  readonly neighbours: number;
  /** Stop after this many own update cycles. */
  readonly maxRounds?: number;
}

interface Neighbour {
  readonly head: Hash;
  readonly round: number;
  readonly age: number;
  readonly seen: number;
}

/** A neighbour's model being pulled this cycle: every neighbour announcing it is a holder. */
interface Pull {
  readonly hash: Hash;
  /** The round the neighbour announced its model at (the version's round tag). */
  readonly round: number;
  readonly age: number;
  readonly holders: readonly PeerIdString[];
}

type Step =
  | { readonly kind: 'idle' }
  | { readonly kind: 'pulling'; readonly pulls: readonly Pull[]; readonly waiting: Set<Hash>; readonly arrived: Set<Hash> }
  | { readonly kind: 'merging' }
  | { readonly kind: 'training' };

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
        this.#onPullEnded(event.hash, true, effects);
        break;
      case 'fetch-failed':
        effects.push({ type: 'log', level: 'warn', message: `could not pull ${event.hash.slice(0, 12)}: ${event.reason}; merging without it this cycle` });
        this.#onPullEnded(event.hash, false, effects);
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
      case 'late-delta':
      case 'audited':
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
    this.#neighbours.set(from, { head: advert.head, round: advert.round, age: advert.age, seen: now });
  }

  #announce(now: number, effects: Effect[], rearm: boolean): void {
    const head = this.#head;
    if (head !== undefined) {
      effects.push({ type: 'publish', advert: { kind: 'presence', task: this.config.task, round: head.round, head: head.hash, age: this.#age, sentAt: now } });
    }
    if (rearm) effects.push({ type: 'set-timer', timer: 'presence', delayMs: this.config.presenceIntervalMs });
  }

  /**
   * This cycle's pulls: up to `neighbours` live neighbours whose head differs from ours, drawn
   * without replacement (draw j takes index sha256-derived mod the count left), their models
   * deduplicated by hash.
   */
  #pickPulls(now: number): Pull[] {
    const head = this.#head!;
    const candidates = [...this.#neighbours]
      .filter(([peer, n]) => peer !== this.config.self && now - n.seen <= this.config.peerTimeoutMs && n.head !== head.hash)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    const pulls = new Map<Hash, Pull>();
    for (let draw = 0; draw < this.config.neighbours && candidates.length > 0; draw++) {
      const seed = `gossip\0${this.config.self}\0${head.round}${draw === 0 ? '' : `\0${draw}`}`;
      const index = createHash('sha256').update(seed, 'utf8').digest().readUInt32BE(0) % candidates.length;
      const [peer, neighbour] = candidates.splice(index, 1)[0]!;
      const known = pulls.get(neighbour.head);
      pulls.set(neighbour.head, { hash: neighbour.head, round: neighbour.round, age: Math.max(neighbour.age, known?.age ?? 0), holders: [...(known?.holders ?? []), peer] });
    }
    return [...pulls.values()];
  }

  #startCycle(now: number, effects: Effect[]): void {
    effects.push({ type: 'set-timer', timer: 'gossip', delayMs: this.config.gossipIntervalMs });
    if (this.#finished || this.#head === undefined) return;
    if (this.#step.kind !== 'idle') {
      effects.push({ type: 'log', level: 'info', message: `cycle ${this.round} still busy (${this.#step.kind}) at the next gossip tick; skipping a tick` });
      return;
    }
    const pulls = this.#pickPulls(now);
    if (pulls.length === 0) {
      this.#train(effects);
      return;
    }
    this.#step = { kind: 'pulling', pulls, waiting: new Set(pulls.map((pull) => pull.hash)), arrived: new Set() };
    for (const pull of pulls) effects.push({ type: 'fetch-version', hash: pull.hash, round: pull.round, holders: pull.holders });
  }

  /** A pull of this cycle ended (`pulled` false: it failed); once all have, merge what arrived. */
  #onPullEnded(hash: Hash, pulled: boolean, effects: Effect[]): void {
    const step = this.#step;
    const head = this.#head;
    if (step.kind !== 'pulling' || head === undefined) return;
    if (!step.waiting.delete(hash)) return;
    if (pulled) step.arrived.add(hash);
    if (step.waiting.size > 0) return;
    // Merged in draw order, whatever order the pulls ended in, so a run replays exactly.
    const fetched = step.pulls.filter((pull) => step.arrived.has(pull.hash));
    if (fetched.length === 0) {
      this.#train(effects);
      return;
    }
    this.#step = { kind: 'merging' };
    const own = { hash: head.hash, samples: this.#age + 1, holders: [] };
    const theirs = fetched.map((pull) => ({ hash: pull.hash, samples: pull.age + 1, holders: pull.holders }));
    effects.push({ type: 'merge', round: this.round, parent: head.hash, leaves: [own, ...theirs] });
    this.#age = Math.max(this.#age, ...fetched.map((pull) => pull.age));
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
