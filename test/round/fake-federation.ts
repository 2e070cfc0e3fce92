/**
 * A tiny deterministic world for testing the round engine alone: engines exchange adverts
 * through an in-memory bus in virtual time, and "learning" is arithmetic on one number per
 * version, so every aggregation and merge can be checked exactly.
 */
import { createHash } from 'node:crypto';
import { RoundEngine, type EngineConfig } from '../../node/round/engine.ts';
import { GossipEngine } from '../../node/round/gossip-engine.ts';
import type { Effect, EngineEvent, Head, TimerName } from '../../node/round/events.ts';
import type { Hash, PeerIdString, VersionAdvert } from '../../protocols/messages.ts';

const sha = (text: string): Hash => createHash('sha256').update(text).digest('hex');

interface Scheduled {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
}

export interface FakeOptions {
  readonly peers: number;
  /** Default curator. Gossip mode uses the collection window as its gossip period. */
  readonly mode?: 'curator' | 'gossip';
  /** Gossip mode: most neighbours pulled per cycle. Default 1. */
  readonly gossipNeighbours?: number;
  readonly config?: Partial<Omit<EngineConfig, 'self'>>;
  readonly latencyMs?: number;
  readonly trainMs?: number;
  readonly aggregateMs?: number;
}

export class FakeFederation {
  now = 0;
  readonly peers: PeerIdString[];
  readonly engines = new Map<PeerIdString, RoundEngine | GossipEngine>();
  /** value of every blob ever stored (versions: model value; deltas: delta value). */
  readonly values = new Map<Hash, number>();
  readonly samplesOf = new Map<Hash, number>();
  readonly holders = new Map<Hash, Set<PeerIdString>>();
  readonly down = new Set<PeerIdString>();
  /** Live members that never finish training (they announce themselves, nothing else). */
  readonly idle = new Set<PeerIdString>();
  /** Members whose deltas are advertised but never served. */
  readonly ghosts = new Set<PeerIdString>();
  /** Members that train and send deltas but never aggregate when their slot comes. */
  readonly lazy = new Set<PeerIdString>();
  /** Curators whose versions do not recompute (a wrong aggregate under their signature). */
  readonly liars = new Set<PeerIdString>();
  /** Every conviction recorded: by whom, of whom. */
  readonly convictions: { peer: PeerIdString; convicted: PeerIdString }[] = [];
  /** Every audit carried out: by whom, of which version, on whose accusation. */
  readonly audits: { peer: PeerIdString; version: Hash; accusers: readonly PeerIdString[] }[] = [];
  /** Pairs that cannot reach each other ("a|b"). */
  readonly cut = new Set<string>();
  readonly versions: { from: PeerIdString; advert: VersionAdvert }[] = [];
  readonly adopted = new Map<PeerIdString, Head[]>();
  readonly logs: { peer: PeerIdString; level: string; message: string }[] = [];
  readonly aggregations: { peer: PeerIdString; round: number }[] = [];
  #queue: Scheduled[] = [];
  #seq = 0;
  #timers = new Map<string, number>();
  readonly #options: Required<Omit<FakeOptions, 'config'>> & { config: Partial<Omit<EngineConfig, 'self'>> };
  readonly genesis: Head;

  constructor(options: FakeOptions) {
    this.#options = { latencyMs: 5, trainMs: 100, aggregateMs: 20, mode: 'curator', gossipNeighbours: 1, ...options, config: options.config ?? {} };
    this.peers = Array.from({ length: options.peers }, (_, i) => `peer-${String(i).padStart(2, '0')}`);
    const genesisHash = sha('genesis');
    this.values.set(genesisHash, 0);
    this.genesis = { round: 0, hash: genesisHash, parent: undefined, contributors: [], merged: [], curator: undefined, bytes: 4 };
  }

  configFor(self: PeerIdString): EngineConfig {
    return {
      self,
      task: 'test-task',
      cohortFraction: 1,
      minPeers: 2,
      collectionWindowMs: 500,
      curatorDeadlineMs: 300,
      presenceIntervalMs: 200,
      peerTimeoutMs: 1000,
      ...this.#options.config,
    };
  }

  /** Starts a peer from a head (genesis by default), knowing the convictions its store kept, if any. */
  start(peer: PeerIdString, head: Head = this.genesis, convicted: readonly PeerIdString[] = []): void {
    const config = this.configFor(peer);
    const engine =
      this.#options.mode === 'gossip'
        ? new GossipEngine({ self: peer, task: config.task, gossipIntervalMs: config.collectionWindowMs, neighbours: this.#options.gossipNeighbours, presenceIntervalMs: config.presenceIntervalMs, peerTimeoutMs: config.peerTimeoutMs, ...(config.maxRounds === undefined ? {} : { maxRounds: config.maxRounds }) })
        : new RoundEngine(config);
    this.engines.set(peer, engine);
    this.#hold(head.hash, peer);
    this.down.delete(peer);
    this.#deliver(peer, { type: 'start', now: this.now, head, convicted });
  }

  startAll(): void {
    for (const peer of this.peers) this.start(peer);
  }

  crash(peer: PeerIdString): void {
    this.down.add(peer);
  }

  partition(groupA: readonly PeerIdString[], groupB: readonly PeerIdString[]): void {
    for (const a of groupA) for (const b of groupB) this.cut.add(`${a}|${b}`).add(`${b}|${a}`);
  }

  heal(): void {
    this.cut.clear();
  }

  #reachable(a: PeerIdString, b: PeerIdString): boolean {
    return !this.down.has(a) && !this.down.has(b) && !this.cut.has(`${a}|${b}`);
  }

  #hold(hash: Hash, peer: PeerIdString): void {
    let set = this.holders.get(hash);
    if (set === undefined) this.holders.set(hash, (set = new Set()));
    set.add(peer);
  }

  #schedule(delay: number, run: () => void): number {
    const seq = this.#seq++;
    this.#queue.push({ at: this.now + delay, seq, run });
    return seq;
  }

  /** Runs events in time order until `until` (virtual ms) or the queue empties. */
  runUntil(until: number, stop: () => boolean = () => false): void {
    for (;;) {
      this.#queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.#queue[0];
      if (next === undefined || next.at > until || stop()) break;
      this.#queue.shift();
      this.now = next.at;
      next.run();
    }
    if (!stop()) this.now = Math.max(this.now, until);
  }

  headOf(peer: PeerIdString): Head | undefined {
    return this.engines.get(peer)?.head;
  }

  /** Hands `peer`'s engine an event from outside the world (a hostile member's advert, say) and carries out its effects. */
  deliver(peer: PeerIdString, event: EngineEvent): void {
    this.#deliver(peer, event);
  }

  #deliver(peer: PeerIdString, event: EngineEvent): void {
    const engine = this.engines.get(peer);
    if (engine === undefined || this.down.has(peer)) return;
    for (const effect of engine.handle(event)) this.#execute(peer, effect);
  }

  #execute(peer: PeerIdString, effect: Effect): void {
    const { latencyMs, trainMs, aggregateMs } = this.#options;
    switch (effect.type) {
      case 'publish': {
        // The transport signs a curator's version; the engine never checks signatures, so a stand-in does.
        const advert = effect.advert.kind === 'version' && effect.advert.curator === peer && effect.advert.signature === undefined ? { ...effect.advert, signature: new Uint8Array(64) } : effect.advert;
        if (advert.kind === 'version') this.versions.push({ from: peer, advert });
        for (const other of this.engines.keys()) {
          if (other === peer || !this.#reachable(peer, other)) continue;
          this.#schedule(latencyMs, () => this.#reachable(peer, other) && this.#deliver(other, { type: 'advert', now: this.now, from: peer, advert }));
        }
        break;
      }
      case 'train':
        if (this.idle.has(peer)) break;
        this.#schedule(trainMs, () => {
          const delta = sha(`delta ${peer} ${effect.round} ${effect.base}`);
          this.values.set(delta, 1);
          if (!this.ghosts.has(peer)) this.#hold(delta, peer);
          this.#deliver(peer, { type: 'trained', now: this.now, round: effect.round, base: effect.base, delta, bytes: 4, samples: 10, metrics: { loss: 1, accuracy: 0.5 } });
        });
        break;
      case 'train-model':
        this.#schedule(trainMs, () => {
          const base = this.values.get(effect.base)!;
          const version = sha(`model ${peer} ${effect.round} ${effect.base}`);
          // "Training" moves the model one unit towards this peer's own optimum (its index).
          const optimum = this.peers.indexOf(peer);
          this.values.set(version, base + (optimum - base) * 0.5);
          this.#hold(version, peer);
          this.#deliver(peer, { type: 'trained-model', now: this.now, round: effect.round, base: effect.base, version, bytes: 4, samples: 10 });
        });
        break;
      case 'aggregate':
        if (this.lazy.has(peer)) break;
        this.aggregations.push({ peer, round: effect.round });
        this.#schedule(aggregateMs, () => {
          const pullable = (d: (typeof effect.deltas)[number]) => this.holders.get(d.advert.delta)?.has(peer) === true || [d.from, ...d.holders].some((h) => this.#reachable(peer, h) && this.holders.get(d.advert.delta)?.has(h));
          const usable = effect.deltas.filter(pullable);
          const rejected = effect.deltas.filter((d) => !pullable(d)).map((d) => ({ peer: d.from, delta: d.advert.delta, reason: 'could not pull it' }));
          if (usable.length === 0) {
            this.#deliver(peer, { type: 'aggregate-failed', now: this.now, round: effect.round, base: effect.base, reason: 'no valid delta', rejected });
            return;
          }
          const base = this.values.get(effect.base)!;
          const total = usable.reduce((s, d) => s + d.advert.samples, 0);
          const value = base + usable.reduce((s, d) => s + (this.values.get(d.advert.delta)! * d.advert.samples) / total, 0);
          const contributors = usable.map((d) => ({ peer: d.from, delta: d.advert.delta, samples: d.advert.samples }));
          const honest = `version ${effect.round} ${effect.base} ${contributors.map((c) => c.delta).sort().join(',')}`;
          const version = sha(this.liars.has(peer) ? `lie by ${peer}: ${honest}` : honest);
          this.values.set(version, this.liars.has(peer) ? value + 100 : value);
          this.#hold(version, peer);
          // "Validation accuracy" of the fake model: a tenth of its value.
          const metrics = { loss: 1, accuracy: value / 10, samples: 5 };
          this.#deliver(peer, { type: 'aggregated', now: this.now, round: effect.round, base: effect.base, version, bytes: 4, contributors, rejected, late: [], metrics });
        });
        break;
      case 'merge':
        this.#schedule(aggregateMs, () => {
          const total = effect.leaves.reduce((s, l) => s + l.samples, 0);
          const value = effect.leaves.reduce((s, l) => s + (this.values.get(l.hash)! * l.samples) / total, 0);
          const version = sha(`merge ${effect.leaves.map((l) => l.hash).join(',')}`);
          this.values.set(version, value);
          this.#hold(version, peer);
          this.#deliver(peer, { type: 'merged', now: this.now, round: effect.round, parent: effect.parent, version, bytes: 4, leaves: effect.leaves.map((l) => l.hash) });
        });
        break;
      case 'fetch-version':
        this.#schedule(latencyMs * 2, () => {
          const source = effect.holders.find((h) => this.#reachable(peer, h) && this.holders.get(effect.hash)?.has(h));
          if (source === undefined) {
            this.#deliver(peer, { type: 'fetch-failed', now: this.now, hash: effect.hash, reason: 'no reachable holder' });
            return;
          }
          this.#hold(effect.hash, peer);
          this.#deliver(peer, { type: 'fetched', now: this.now, hash: effect.hash });
        });
        break;
      case 'audit':
        this.#schedule(aggregateMs, () => {
          const { version } = effect.audit;
          const recomputed = sha(`version ${version.round} ${version.parent} ${version.contributors.map((c) => c.delta).sort().join(',')}`);
          this.audits.push({ peer, version: version.hash, accusers: effect.audit.accusers });
          this.#deliver(peer, { type: 'audited', now: this.now, audit: effect.audit, recomputed });
        });
        break;
      case 'adopt': {
        const list = this.adopted.get(peer) ?? [];
        list.push(effect.head);
        this.adopted.set(peer, list);
        break;
      }
      case 'set-timer': {
        const key = `${peer}/${effect.timer}`;
        const id = this.#schedule(effect.delayMs, () => {
          if (this.#timers.get(key) !== id) return;
          this.#timers.delete(key);
          this.#deliver(peer, { type: 'timer', now: this.now, timer: effect.timer as TimerName });
        });
        this.#timers.set(key, id);
        break;
      }
      case 'cancel-timer':
        this.#timers.delete(`${peer}/${effect.timer}`);
        break;
      case 'log':
        this.logs.push({ peer, level: effect.level, message: effect.message });
        break;
      case 'convicted':
        this.convictions.push({ peer, convicted: effect.peer });
        break;
      case 'finished':
        break;
      default: {
        const unknown: never = effect;
        throw new Error(`unknown effect ${JSON.stringify(unknown)}`);
      }
    }
  }
}
