/**
 * A discrete-event scheduler with virtual time in milliseconds, and a `VirtualClock` that
 * implements the engine's `Clock` port on top of it.
 *
 * Events run in (time, insertion sequence) order: two events at the same time run in the
 * order they were scheduled, so a run is a pure function of what was scheduled. The queue is
 * a binary heap (O(log n) per event); cancelled events are removed lazily when they reach the
 * top. Nothing here reads the real clock or uses real timers.
 *
 * Two ways to run:
 * - `runSync` processes events back to back. Use it when every action is synchronous.
 * - `run` (async) lets promise continuations run after every event before the next one (it
 *   awaits `settle`, by default a `setImmediate` turn, which drains the microtask queue). This
 *   is what an engine written with async/await needs: a promise resolved inside an event (a
 *   fetch completing, an advert arriving) continues at that same virtual time, and whatever it
 *   schedules is ordered deterministically. Work that leaves the microtask queue (disk I/O,
 *   worker threads, WebCrypto) is not awaited by the default settle: pass a `settle` that waits
 *   for it (for example the peers' in-flight work) to keep a run deterministic.
 */
import type { Clock } from '../../node/round/ports.ts';
import { GossipflError } from '../../node/errors.ts';

export type Cancel = () => void;

interface Event {
  readonly at: number;
  readonly seq: number;
  action: (() => void) | undefined;
}

export interface RunOptions {
  /** Stop before the first event later than this virtual time, and advance `now` to it. */
  readonly until?: number;
  /** Checked after every event; the run ends as soon as it returns true. */
  readonly stop?: () => boolean;
  /** Stop after this many events in this run (a guard against runaway simulations). */
  readonly maxEvents?: number;
}

export interface AsyncRunOptions extends RunOptions {
  /** Awaited after every event (default: one `setImmediate` turn, which drains microtasks). */
  readonly settle?: () => Promise<void>;
}

export interface RunResult {
  /** Events processed in this run. */
  readonly events: number;
  /** Virtual time when the run ended. */
  readonly now: number;
  /** Why it ended: no events left, `until` reached, `stop` returned true, or `maxEvents` hit. */
  readonly reason: 'idle' | 'until' | 'stop' | 'maxEvents';
}

export class SchedulerError extends GossipflError {
  override name = 'SchedulerError';
}

const settleImmediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class Scheduler {
  #now: number;
  #seq = 0;
  #heap: Event[] = [];
  #keysAt = new Float64Array(1024);
  #keysSeq = new Float64Array(1024);
  #live = 0;
  #processed = 0;
  #running = false;

  constructor(options: { start?: number } = {}) {
    this.#now = options.start ?? 0;
  }

  /** Current virtual time, ms. */
  get now(): number {
    return this.#now;
  }

  /** Events processed since construction (for events/s reporting). */
  get processed(): number {
    return this.#processed;
  }

  /** Scheduled events not yet run or cancelled. */
  get pending(): number {
    return this.#live;
  }

  /** Runs `action` at virtual time `at` (clamped to now: the past cannot be scheduled). */
  at(at: number, action: () => void): Cancel {
    if (Number.isNaN(at)) throw new SchedulerError('cannot schedule an event at time NaN');
    const event: Event = { at: at < this.#now ? this.#now : at, seq: this.#seq++, action };
    this.#push(event);
    this.#live++;
    return () => {
      if (event.action !== undefined) {
        event.action = undefined;
        this.#live--;
      }
    };
  }

  /** Runs `action` `delay` ms from now (negative delays count as 0). */
  after(delay: number, action: () => void): Cancel {
    return this.at(this.#now + (delay > 0 ? delay : 0), action);
  }

  /** `schedule({ at })` or `schedule({ delay })`. */
  schedule(when: { at: number } | { delay: number }, action: () => void): Cancel {
    return 'at' in when ? this.at(when.at, action) : this.after(when.delay, action);
  }

  /** Time of the next live event, or undefined when none. */
  peek(): number | undefined {
    this.#dropCancelled();
    return this.#heap[0]?.at;
  }

  /** Runs the next event, if any; returns whether one ran. */
  step(): boolean {
    this.#dropCancelled();
    const event = this.#pop();
    if (event === undefined) return false;
    this.#fire(event);
    return true;
  }

  /** Processes events synchronously (actions must not depend on promise continuations). */
  runSync(options: RunOptions = {}): RunResult {
    this.#enter();
    try {
      let events = 0;
      for (;;) {
        const reason = this.#next(options, events);
        if (typeof reason === 'string') return { events, now: this.#now, reason };
        this.#fire(reason);
        events++;
        if (options.stop?.()) return { events, now: this.#now, reason: 'stop' };
      }
    } finally {
      this.#running = false;
    }
  }

  /** Processes events, letting promise continuations settle after each one (see the file comment). */
  async run(options: AsyncRunOptions = {}): Promise<RunResult> {
    this.#enter();
    const settle = options.settle ?? settleImmediate;
    try {
      let events = 0;
      await settle();
      for (;;) {
        const reason = this.#next(options, events);
        if (typeof reason === 'string') return { events, now: this.#now, reason };
        this.#fire(reason);
        events++;
        await settle();
        if (options.stop?.()) return { events, now: this.#now, reason: 'stop' };
      }
    } finally {
      this.#running = false;
    }
  }

  #enter(): void {
    if (this.#running) throw new SchedulerError('the scheduler is already running: run() and runSync() cannot be nested or overlapped');
    this.#running = true;
  }

  /** The next event to fire, or why the run ends. */
  #next(options: RunOptions, events: number): Event | 'idle' | 'until' | 'maxEvents' {
    if (options.maxEvents !== undefined && events >= options.maxEvents) return 'maxEvents';
    this.#dropCancelled();
    const top = this.#heap[0];
    if (top === undefined) {
      if (options.until !== undefined && options.until > this.#now) {
        this.#now = options.until;
        return 'until';
      }
      return 'idle';
    }
    if (options.until !== undefined && top.at > options.until) {
      if (options.until > this.#now) this.#now = options.until;
      return 'until';
    }
    return this.#pop() as Event;
  }

  #fire(event: Event): void {
    const action = event.action;
    event.action = undefined;
    this.#live--;
    this.#now = event.at;
    this.#processed++;
    action?.();
  }

  #dropCancelled(): void {
    while (this.#heap.length > 0 && (this.#heap[0] as Event).action === undefined) this.#pop();
  }

  // ---- binary heap on (at, seq): keys in typed arrays (cache-friendly), events alongside ----

  #grow(): void {
    const size = this.#keysAt.length * 2;
    const at = new Float64Array(size);
    at.set(this.#keysAt);
    this.#keysAt = at;
    const seq = new Float64Array(size);
    seq.set(this.#keysSeq);
    this.#keysSeq = seq;
  }

  #push(event: Event): void {
    if (this.#heap.length === this.#keysAt.length) this.#grow();
    const heap = this.#heap;
    const keysAt = this.#keysAt;
    const keysSeq = this.#keysSeq;
    const at = event.at;
    const seq = event.seq;
    let i = heap.length;
    heap.push(event);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pAt = keysAt[parent] as number;
      if (pAt < at || (pAt === at && (keysSeq[parent] as number) < seq)) break;
      heap[i] = heap[parent] as Event;
      keysAt[i] = pAt;
      keysSeq[i] = keysSeq[parent] as number;
      i = parent;
    }
    heap[i] = event;
    keysAt[i] = at;
    keysSeq[i] = seq;
  }

  #pop(): Event | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    const keysAt = this.#keysAt;
    const keysSeq = this.#keysSeq;
    const n = heap.length;
    const at = last.at;
    const seq = last.seq;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      let cAt = keysAt[left] as number;
      let cSeq = keysSeq[left] as number;
      if (right < n) {
        const rAt = keysAt[right] as number;
        const rSeq = keysSeq[right] as number;
        if (rAt < cAt || (rAt === cAt && rSeq < cSeq)) {
          child = right;
          cAt = rAt;
          cSeq = rSeq;
        }
      }
      if (at < cAt || (at === cAt && seq < cSeq)) break;
      heap[i] = heap[child] as Event;
      keysAt[i] = cAt;
      keysSeq[i] = cSeq;
      i = child;
    }
    heap[i] = last;
    keysAt[i] = at;
    keysSeq[i] = seq;
    return top;
  }
}

/**
 * The engine's `Clock` port in virtual time. `offset` shifts what `now()` reports (a per-peer
 * clock skew, or a Unix epoch so that timestamps look real); timers are unaffected by it.
 */
export class VirtualClock implements Clock {
  readonly #scheduler: Scheduler;
  readonly offset: number;

  constructor(scheduler: Scheduler, options: { offset?: number } = {}) {
    this.#scheduler = scheduler;
    this.offset = options.offset ?? 0;
  }

  now(): number {
    return this.#scheduler.now + this.offset;
  }

  setTimer(ms: number, callback: () => void): () => void {
    return this.#scheduler.after(ms, callback);
  }
}
