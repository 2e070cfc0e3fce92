import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChurnError, ChurnSchedule, loadChurnTrace, parseChurnTrace } from '../../sim/core/churn.ts';
import { Scheduler } from '../../sim/core/scheduler.ts';
import { Rng } from '../../node/learn/rng.ts';

const peers = Array.from({ length: 200 }, (_, i) => `p${i}`);

describe('churn models', () => {
  it('always-on has no transitions', () => {
    const s = ChurnSchedule.build(peers, { kind: 'always-on' }, { horizonMs: 1e6 });
    expect(s.transitions).toEqual([]);
    expect(peers.every((p) => s.initiallyOnline(p))).toBe(true);
  });

  it('sessions: long-run online fraction ≈ p, at any time and on average', () => {
    const horizonMs = 10 * 3600_000;
    const model = { kind: 'sessions', online: 0.9, meanSessionMs: 600_000, sigma: 1 } as const;
    const s = ChurnSchedule.build(peers, model, { horizonMs, rng: new Rng(11) });
    const mean = peers.reduce((sum, p) => sum + s.onlineFraction(p, horizonMs), 0) / peers.length;
    expect(Math.abs(mean - 0.9)).toBeLessThan(0.03);
    // Stationary from the start: the fraction online at t = 0 and mid-run is ≈ p too.
    for (const t of [0, horizonMs / 2]) {
      const up = peers.filter((p) => s.isOnlineAt(p, t)).length / peers.length;
      expect(Math.abs(up - 0.9)).toBeLessThan(0.07);
    }
    // p = 1 is always on.
    expect(ChurnSchedule.build(peers, { ...model, online: 1 }, { horizonMs, rng: new Rng(1) }).transitions).toEqual([]);
  });

  it('sessions: session lengths have the configured mean', () => {
    const horizonMs = 50 * 3600_000;
    const s = ChurnSchedule.build(peers.slice(0, 50), { kind: 'sessions', online: 0.5, meanSessionMs: 60_000, sigma: 0.8 }, { horizonMs, rng: new Rng(2) });
    const sessions: number[] = [];
    const offline: number[] = [];
    const lastUp = new Map<string, number>();
    const lastDown = new Map<string, number>();
    for (const t of s.transitions) {
      if (t.up) {
        const d = lastDown.get(t.peer);
        if (d !== undefined) offline.push(t.at - d);
        lastUp.set(t.peer, t.at);
      } else {
        const u = lastUp.get(t.peer);
        if (u !== undefined) sessions.push(t.at - u);
        lastDown.set(t.peer, t.at);
      }
    }
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(sessions.length).toBeGreaterThan(10_000);
    expect(Math.abs(avg(sessions) / 60_000 - 1)).toBeLessThan(0.05);
    expect(Math.abs(avg(offline) / 60_000 - 1)).toBeLessThan(0.05);
  });

  it('same seed, same schedule; another seed, another', () => {
    const build = (seed: number, order: string[]) =>
      ChurnSchedule.build(order, { kind: 'sessions', online: 0.7, meanSessionMs: 1000, sigma: 0.5 }, { horizonMs: 20_000, rng: new Rng(seed) });
    const a = build(4, peers.slice(0, 20)).transitions;
    expect(build(4, peers.slice(0, 20)).transitions).toEqual(a);
    const reversed = build(4, peers.slice(0, 20).reverse()).transitions;
    expect(reversed).toEqual(a);
    expect(build(5, peers.slice(0, 20)).transitions).not.toEqual(a);
  });

  it('rejects bad parameters', () => {
    expect(() => ChurnSchedule.build(peers, { kind: 'sessions', online: 0, meanSessionMs: 1, sigma: 1 }, { horizonMs: 1, rng: new Rng(1) })).toThrow(ChurnError);
    expect(() => ChurnSchedule.build(peers, { kind: 'sessions', online: 0.5, meanSessionMs: -1, sigma: 1 }, { horizonMs: 1, rng: new Rng(1) })).toThrow(/meanSessionMs/);
    expect(() => ChurnSchedule.build(peers, { kind: 'sessions', online: 0.5, meanSessionMs: 1, sigma: 1 }, { horizonMs: 1 })).toThrow(/needs an rng/);
  });
});

describe('crashes, restarts and applying a schedule', () => {
  it('feeds state-changing transitions to the scheduler in order', () => {
    const s = ChurnSchedule.build(['a', 'b'], { kind: 'always-on' }, { horizonMs: 1000 })
      .crashAt('a', 100)
      .restartAt('a', 300)
      .restartAt('b', 50) // already up: dropped
      .crashAt('b', 100)
      .crashAt('b', 200); // already down: dropped
    expect(s.transitions).toEqual([
      { peer: 'a', at: 100, up: false },
      { peer: 'b', at: 100, up: false },
      { peer: 'a', at: 300, up: true },
    ]);
    const scheduler = new Scheduler();
    const log: string[] = [];
    s.apply(scheduler, { onUp: (p) => log.push(`${p} up @${scheduler.now}`), onDown: (p) => log.push(`${p} down @${scheduler.now}`) });
    scheduler.runSync();
    expect(log).toEqual(['a down @100', 'b down @100', 'a up @300']);
    expect(s.isOnlineAt('a', 200)).toBe(false);
    expect(s.isOnlineAt('a', 300)).toBe(true);
    expect(s.isOnlineThroughout('a', 0, 99)).toBe(true);
    expect(s.isOnlineThroughout('a', 0, 100)).toBe(false); // going down at the end counts
    expect(s.isOnlineThroughout('a', 200, 250)).toBe(false); // down at the start
    expect(s.isOnlineThroughout('a', 300, 10_000)).toBe(true);
    expect(s.onlineFraction('a', 1000)).toBeCloseTo(0.8, 9);
    expect(() => s.crashAt('a', -1)).toThrow(ChurnError);
  });

  it('cancel stops transitions not yet run', () => {
    const s = new ChurnSchedule().crashAt('a', 10).restartAt('a', 20);
    const scheduler = new Scheduler();
    const log: string[] = [];
    const cancel = s.apply(scheduler, { onUp: (p) => log.push(`+${p}`), onDown: (p) => log.push(`-${p}`) });
    scheduler.runSync({ until: 15 });
    cancel();
    scheduler.runSync();
    expect(log).toEqual(['-a']);
  });
});

describe('churn traces', () => {
  it('parses peer,time_ms,up|down lines with a header, comments and blanks', () => {
    const text = 'peer,time_ms,state\n# a comment\n\na,100,down\nb, 50 ,UP\r\na,200,up\n';
    const transitions = parseChurnTrace(text);
    expect(transitions).toEqual([
      { peer: 'a', at: 100, up: false },
      { peer: 'b', at: 50, up: true },
      { peer: 'a', at: 200, up: true },
    ]);
    const s = ChurnSchedule.build(['a', 'b', 'c'], { kind: 'trace', transitions }, { horizonMs: 1000 });
    expect(s.initiallyOnline('a')).toBe(true);
    expect(s.initiallyOnline('b')).toBe(false); // first event is up
    expect(s.initiallyOnline('c')).toBe(true);
    expect(s.transitions.map((t) => `${t.peer}@${t.at}`)).toEqual(['b@50', 'a@100', 'a@200']);
  });

  it('reports errors with line numbers', () => {
    expect(() => parseChurnTrace('a,1,up\n\nb,2\n', 'x.csv')).toThrow('x.csv line 3: expected "peer,time_ms,up|down", got 2 field(s): "b,2"');
    expect(() => parseChurnTrace('a,soon,up')).toThrow('churn trace line 1: time_ms must be a number ≥ 0, got "soon"');
    expect(() => parseChurnTrace('a,1,up\na,-5,down')).toThrow(/line 2: time_ms/);
    expect(() => parseChurnTrace('a,1,sideways')).toThrow(/line 1: state must be "up" or "down", got "sideways"/);
    expect(() => parseChurnTrace(',1,up')).toThrow(/line 1: the peer id is empty/);
    expect(() => parseChurnTrace('a,1,up')).not.toThrow();
  });

  it('loads a trace file; a missing file is a clear error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'churn-'));
    try {
      const path = join(dir, 'trace.csv');
      await writeFile(path, 'a,10,down\na,20,up\n');
      expect(await loadChurnTrace(path)).toHaveLength(2);
      await expect(loadChurnTrace(join(dir, 'nope.csv'))).rejects.toThrow(/cannot read churn trace .*nope\.csv/);
      await writeFile(path, 'a,10,down\nbad line\n');
      await expect(loadChurnTrace(path)).rejects.toThrow(`${path} line 2`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
