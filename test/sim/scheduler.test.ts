import { describe, expect, it } from 'vitest';
import { Scheduler, SchedulerError, VirtualClock } from '../../sim/core/scheduler.ts';
import type { Clock } from '../../node/round/ports.ts';
import { Rng } from '../../node/learn/rng.ts';

describe('Scheduler', () => {
  it('runs events in time order, ties in insertion order', () => {
    const s = new Scheduler();
    const seen: string[] = [];
    s.at(20, () => seen.push('c@20'));
    s.at(10, () => seen.push('a@10'));
    s.at(10, () => seen.push('b@10'));
    s.after(5, () => {
      seen.push(`d@${s.now}`);
      s.after(0, () => seen.push(`e@${s.now}`));
      s.at(10, () => seen.push('f@10'));
    });
    const result = s.runSync();
    expect(seen).toEqual(['d@5', 'e@5', 'a@10', 'b@10', 'f@10', 'c@20']);
    expect(result).toEqual({ events: 6, now: 20, reason: 'idle' });
    expect(s.processed).toBe(6);
  });

  it('cancels events, idempotently', () => {
    const s = new Scheduler();
    const seen: number[] = [];
    s.at(1, () => seen.push(1));
    const cancel = s.at(2, () => seen.push(2));
    s.at(3, () => seen.push(3));
    expect(s.pending).toBe(3);
    cancel();
    cancel();
    expect(s.pending).toBe(2);
    s.runSync();
    expect(seen).toEqual([1, 3]);
    expect(s.pending).toBe(0);
  });

  it('run until stops before later events and advances now; stop predicate ends early', () => {
    const s = new Scheduler();
    const seen: number[] = [];
    for (const t of [5, 10, 15, 20]) s.at(t, () => seen.push(t));
    expect(s.runSync({ until: 12 })).toEqual({ events: 2, now: 12, reason: 'until' });
    expect(seen).toEqual([5, 10]);
    expect(s.runSync({ stop: () => seen.length === 3 })).toEqual({ events: 1, now: 15, reason: 'stop' });
    expect(s.runSync({ until: 100 })).toEqual({ events: 1, now: 100, reason: 'until' });
    expect(s.runSync({ maxEvents: 0 }).reason).toBe('maxEvents');
    // The past is clamped to now.
    s.at(1, () => seen.push(s.now));
    s.runSync();
    expect(seen.at(-1)).toBe(100);
    expect(() => s.at(Number.NaN, () => {})).toThrow(SchedulerError);
  });

  it('async run lets promise continuations run at the virtual time of the event that resolved them', async () => {
    const s = new Scheduler();
    const clock: Clock = new VirtualClock(s);
    const virtualDelay = (ms: number) => new Promise<void>((resolve) => clock.setTimer(ms, resolve));
    const log: string[] = [];
    const worker = async (name: string, delays: number[]) => {
      for (const d of delays) {
        await virtualDelay(d);
        await Promise.resolve();
        log.push(`${name}@${clock.now()}`);
      }
    };
    void worker('x', [10, 10, 10]);
    void worker('y', [15, 5, 20]);
    const result = await s.run();
    expect(log).toEqual(['x@10', 'y@15', 'x@20', 'y@20', 'x@30', 'y@40']);
    expect(result.reason).toBe('idle');
    expect(result.now).toBe(40);
    await expect(s.run({ until: 50 })).resolves.toMatchObject({ reason: 'until', now: 50 });
  });

  it('refuses to run twice at once', async () => {
    const s = new Scheduler();
    s.at(1, () => {});
    const running = s.run();
    expect(() => s.runSync()).toThrow(SchedulerError);
    await running;
  });

  it('processes 1,000,000 events quickly', () => {
    const s = new Scheduler();
    const rng = new Rng(7);
    let count = 0;
    let last = -1;
    let ordered = true;
    // 1,000 self-rescheduling chains, 1,000 events each: the heap holds ~1,000 events at a time.
    const tick = () => {
      count++;
      if (s.now < last) ordered = false;
      last = s.now;
      if (count <= 999_000) s.after(rng.uniform(0, 100), tick);
    };
    for (let i = 0; i < 1000; i++) s.after(rng.uniform(0, 100), tick);
    const started = performance.now();
    const result = s.runSync();
    const seconds = (performance.now() - started) / 1000;
    // Also a big heap: 1,000,000 events scheduled up front.
    const big = new Scheduler();
    let bigCount = 0;
    for (let i = 0; i < 1_000_000; i++) big.at(rng.uniform(0, 1e6), () => bigCount++);
    const bigStarted = performance.now();
    big.runSync();
    const bigSeconds = (performance.now() - bigStarted) / 1000;
    console.log(
      `scheduler: ${result.events} chained events in ${seconds.toFixed(3)} s = ${Math.round(result.events / seconds).toLocaleString('en')} events/s; ` +
        `1,000,000 pre-scheduled in ${bigSeconds.toFixed(3)} s = ${Math.round(1e6 / bigSeconds).toLocaleString('en')} events/s`,
    );
    expect(result.events).toBe(1_000_000);
    expect(ordered).toBe(true);
    expect(bigCount).toBe(1_000_000);
    expect(seconds).toBeLessThan(3);
    expect(bigSeconds).toBeLessThan(5);
  });
});

describe('VirtualClock', () => {
  it('implements Clock: now follows virtual time, timers fire and cancel', () => {
    const s = new Scheduler();
    const clock: Clock = new VirtualClock(s, { offset: 1_700_000_000_000 });
    const fired: number[] = [];
    clock.setTimer(100, () => fired.push(clock.now()));
    const cancel = clock.setTimer(50, () => fired.push(-1));
    clock.setTimer(-5, () => fired.push(clock.now()));
    cancel();
    expect(clock.now()).toBe(1_700_000_000_000);
    s.runSync();
    expect(fired).toEqual([1_700_000_000_000, 1_700_000_000_100]);
  });
});
