/**
 * Churn: when each simulated peer is online. A model (plus any scheduled crashes and
 * restarts) becomes a `ChurnSchedule`: each peer's initial state and a time-ordered list of
 * up/down transitions, which `apply` feeds to the scheduler as `onUp(peer)` / `onDown(peer)`.
 *
 * Models
 * - `always-on`: no transitions.
 * - `sessions`: each peer alternates online sessions, lognormal with mean `meanSessionMs` and
 *   log-sd `sigma`, with offline periods, lognormal with the same sigma and mean
 *   meanSessionMs·(1 − p)/p (or `meanOfflineMs`), so the long-run online fraction is
 *   p = `online`. A peer starts online with probability p, in the middle of a period: the
 *   first period is the stationary residual (a length-biased lognormal, LN(mu + σ², σ), times a
 *   uniform fraction), so the online fraction is ≈ p from time 0. Each peer draws from its own
 *   fork of the rng (labelled by its id): same seed, same schedule, whatever the peer order.
 * - `trace`: explicit transitions (see `parseChurnTrace`). A peer whose first trace event is
 *   `up` starts offline; any other peer starts online.
 * `crashAt(peer, t)` / `restartAt(peer, t)` add transitions to any model. Transitions that do
 * not change a peer's state (up while up) are dropped; at equal times, earlier-added first.
 */
import { readFile } from 'node:fs/promises';
import { GossipflError } from '../../node/errors.ts';
import type { Rng } from '../../node/learn/rng.ts';
import type { Cancel, Scheduler } from './scheduler.ts';

export class ChurnError extends GossipflError {
  override name = 'ChurnError';
}

export interface ChurnTransition {
  readonly peer: string;
  readonly at: number;
  readonly up: boolean;
}

export type ChurnModel =
  | { readonly kind: 'always-on' }
  | {
      readonly kind: 'sessions';
      /** Long-run fraction of time online, in (0, 1]. */
      readonly online: number;
      readonly meanSessionMs: number;
      /** Log-sd of session (and offline) lengths; 0 makes them constant. */
      readonly sigma: number;
      /** Override the offline periods' mean (then the online fraction is mean/(mean + this)). */
      readonly meanOfflineMs?: number;
    }
  | { readonly kind: 'trace'; readonly transitions: readonly ChurnTransition[] };

export interface ChurnCallbacks {
  onUp(peer: string): void;
  onDown(peer: string): void;
}

/** Lognormal mu for a given mean and sigma: mean = exp(mu + σ²/2). */
const muFor = (mean: number, sigma: number): number => Math.log(mean) - (sigma * sigma) / 2;

function positive(value: number, what: string): void {
  if (!(Number.isFinite(value) && value > 0)) throw new ChurnError(`${what} must be a finite number > 0, got ${value}`);
}

interface SortedTransitions {
  readonly all: readonly ChurnTransition[];
  readonly byPeer: ReadonlyMap<string, readonly ChurnTransition[]>;
}

export class ChurnSchedule {
  readonly #initial = new Map<string, boolean>();
  #added: { t: ChurnTransition; seq: number }[] = [];
  #seq = 0;
  /** The state-changing transitions in order, all and by peer; rebuilt after a change. */
  #cache: SortedTransitions | undefined;

  /**
   * Builds the schedule of `peers` under `model` up to `horizonMs` (sessions beyond it are not
   * generated). `rng` is needed for the `sessions` model.
   */
  static build(peers: readonly string[], model: ChurnModel, options: { horizonMs: number; rng?: Rng }): ChurnSchedule {
    const schedule = new ChurnSchedule();
    for (const peer of peers) schedule.#initial.set(peer, true);
    switch (model.kind) {
      case 'always-on':
        break;
      case 'sessions': {
        const { online: p, meanSessionMs, sigma } = model;
        if (!(p > 0 && p <= 1)) throw new ChurnError(`sessions churn: online fraction must be in (0, 1], got ${p}`);
        positive(meanSessionMs, 'sessions churn: meanSessionMs');
        if (!(Number.isFinite(sigma) && sigma >= 0)) throw new ChurnError(`sessions churn: sigma must be ≥ 0, got ${sigma}`);
        if (options.rng === undefined) throw new ChurnError('sessions churn needs an rng');
        const meanOff = model.meanOfflineMs ?? (meanSessionMs * (1 - p)) / p;
        if (meanOff === 0) break; // p = 1: always on
        positive(meanOff, 'sessions churn: meanOfflineMs');
        const pOnline = meanSessionMs / (meanSessionMs + meanOff);
        const muOn = muFor(meanSessionMs, sigma);
        const muOff = muFor(meanOff, sigma);
        for (const peer of peers) {
          const rng = options.rng.fork(`churn/${peer}`);
          let up = rng.next() < pOnline;
          schedule.#initial.set(peer, up);
          // Stationary residual of the current period: length-biased lognormal × uniform.
          let t = rng.logNormal((up ? muOn : muOff) + sigma * sigma, sigma) * rng.next();
          while (t < options.horizonMs) {
            up = !up;
            schedule.#push({ peer, at: t, up });
            t += rng.logNormal(up ? muOn : muOff, sigma);
          }
        }
        break;
      }
      case 'trace': {
        const first = new Map<string, boolean>();
        for (const tr of model.transitions) if (!first.has(tr.peer)) first.set(tr.peer, tr.up);
        for (const [peer, up] of first) schedule.#initial.set(peer, !up);
        schedule.#cache = undefined;
        for (const tr of model.transitions) schedule.#push(tr);
        break;
      }
      default: {
        const _: never = model;
        throw new ChurnError(`unknown churn model ${JSON.stringify(_)}`);
      }
    }
    return schedule;
  }

  #push(t: ChurnTransition): void {
    if (!(Number.isFinite(t.at) && t.at >= 0)) throw new ChurnError(`churn time for ${t.peer} must be a finite number ≥ 0 ms, got ${t.at}`);
    if (!this.#initial.has(t.peer)) this.#initial.set(t.peer, true);
    this.#added.push({ t, seq: this.#seq++ });
    this.#cache = undefined;
  }

  /** The peer crashes (goes down) at `at` ms. */
  crashAt(peer: string, at: number): this {
    this.#push({ peer, at, up: false });
    return this;
  }

  /** The peer restarts (comes up) at `at` ms. */
  restartAt(peer: string, at: number): this {
    this.#push({ peer, at, up: true });
    return this;
  }

  get peers(): readonly string[] {
    return [...this.#initial.keys()];
  }

  initiallyOnline(peer: string): boolean {
    return this.#initial.get(peer) ?? true;
  }

  /** State-changing transitions in (time, insertion) order. */
  get transitions(): readonly ChurnTransition[] {
    return this.#sorted().all;
  }

  /** One peer's state-changing transitions in order (the queries below scan only these). */
  #transitionsOf(peer: string): readonly ChurnTransition[] {
    return this.#sorted().byPeer.get(peer) ?? [];
  }

  #sorted(): SortedTransitions {
    if (this.#cache !== undefined) return this.#cache;
    const sorted = [...this.#added].sort((x, y) => x.t.at - y.t.at || x.seq - y.seq);
    const state = new Map(this.#initial);
    const all: ChurnTransition[] = [];
    const byPeer = new Map<string, ChurnTransition[]>();
    for (const { t } of sorted) {
      if ((state.get(t.peer) ?? true) === t.up) continue;
      state.set(t.peer, t.up);
      all.push(t);
      const own = byPeer.get(t.peer);
      if (own === undefined) byPeer.set(t.peer, [t]);
      else own.push(t);
    }
    this.#cache = { all, byPeer };
    return this.#cache;
  }

  /** Whether `peer` is online at `at` (transitions at exactly `at` have happened). */
  isOnlineAt(peer: string, at: number): boolean {
    let up = this.initiallyOnline(peer);
    for (const t of this.#transitionsOf(peer)) {
      if (t.at > at) break;
      up = t.up;
    }
    return up;
  }

  /** Whether `peer` is online at `from` and does not go down before `to` (a going down at exactly `to` counts). */
  isOnlineThroughout(peer: string, from: number, to: number): boolean {
    if (!this.isOnlineAt(peer, from)) return false;
    return !this.#transitionsOf(peer).some((t) => t.at > from && t.at <= to);
  }

  /** Fraction of [0, horizonMs) that `peer` spends online. */
  onlineFraction(peer: string, horizonMs: number): number {
    let up = this.initiallyOnline(peer);
    let last = 0;
    let online = 0;
    for (const t of this.#transitionsOf(peer)) {
      if (t.at >= horizonMs) break;
      if (up) online += t.at - last;
      last = t.at;
      up = t.up;
    }
    if (up) online += horizonMs - last;
    return horizonMs > 0 ? online / horizonMs : up ? 1 : 0;
  }

  /**
   * Schedules every transition on `scheduler` (times relative to `scheduler.now`); the caller
   * sets up initial states (`initiallyOnline`). Returns a function cancelling those not yet run.
   */
  apply(scheduler: Scheduler, callbacks: ChurnCallbacks): Cancel {
    const start = scheduler.now;
    const cancels = this.transitions.map((t) =>
      scheduler.at(start + t.at, () => (t.up ? callbacks.onUp(t.peer) : callbacks.onDown(t.peer))),
    );
    return () => {
      for (const cancel of cancels) cancel();
    };
  }
}

/**
 * Parses a churn trace: one `peer,time_ms,up|down` per line. Blank lines and lines starting
 * with `#` are ignored, as is a first line `peer,time_ms,state` (a header). Errors name the
 * source and line.
 */
export function parseChurnTrace(text: string, source = 'churn trace'): ChurnTransition[] {
  const out: ChurnTransition[] = [];
  const lines = text.split(/\r?\n/);
  let seenContent = false;
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${source} line ${index + 1}`;
    const fields = line.split(',').map((f) => f.trim());
    if (!seenContent) {
      seenContent = true;
      if (fields[0]?.toLowerCase() === 'peer' && fields[1]?.toLowerCase() === 'time_ms') return;
    }
    if (fields.length !== 3) throw new ChurnError(`${where}: expected "peer,time_ms,up|down", got ${fields.length} field(s): "${line}"`);
    const [peer, time, state] = fields as [string, string, string];
    if (peer === '') throw new ChurnError(`${where}: the peer id is empty`);
    const at = Number(time);
    if (time === '' || !Number.isFinite(at) || at < 0) throw new ChurnError(`${where}: time_ms must be a number ≥ 0, got "${time}"`);
    const s = state.toLowerCase();
    if (s !== 'up' && s !== 'down') throw new ChurnError(`${where}: state must be "up" or "down", got "${state}"`);
    out.push({ peer, at, up: s === 'up' });
  });
  return out;
}

/** Reads and parses a churn trace file. */
export async function loadChurnTrace(path: string): Promise<ChurnTransition[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ChurnError(`cannot read churn trace ${path}: ${(error as Error).message}`);
  }
  return parseChurnTrace(text, path);
}
