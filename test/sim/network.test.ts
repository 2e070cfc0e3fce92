import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../sim/core/scheduler.ts';
import { NetworkConfigError, SimNetwork, type SimNetworkOptions, type TransferResult } from '../../sim/core/network.ts';
import { Rng } from '../../node/learn/rng.ts';

function setup(options: Partial<SimNetworkOptions> = {}, peers = ['a', 'b', 'c']) {
  const scheduler = new Scheduler();
  const network = new SimNetwork<string>({ scheduler, rng: new Rng(1), latency: { kind: 'constant', ms: 50 }, ...options });
  for (const p of peers) network.addPeer(p);
  const inbox = new Map<string, { from: string; payload: string; at: number }[]>();
  for (const p of peers) {
    inbox.set(p, []);
    network.subscribe(p, (from, payload) => inbox.get(p)?.push({ from, payload, at: scheduler.now }));
  }
  return { scheduler, network, inbox };
}

function timedTransfer(network: SimNetwork<string>, from: string, to: string, bytes: number) {
  const out: { result?: TransferResult; at?: number } = {};
  network.transfer(from, to, bytes, (result) => {
    out.result = result;
    out.at = network.scheduler.now;
  });
  return out;
}

describe('SimNetwork messages', () => {
  it('constant latency delivers at exactly t + latency, to every other subscriber', () => {
    const { scheduler, network, inbox } = setup();
    scheduler.at(100, () => network.publish('a', 'hello', 300));
    scheduler.runSync();
    expect(inbox.get('a')).toEqual([]);
    expect(inbox.get('b')).toEqual([{ from: 'a', payload: 'hello', at: 150 }]);
    expect(inbox.get('c')).toEqual([{ from: 'a', payload: 'hello', at: 150 }]);
    expect(network.counters('a')).toMatchObject({ messagesSent: 2, messageBytesSent: 600 });
    expect(network.counters('b')).toMatchObject({ messagesReceived: 1, messageBytesReceived: 300 });
  });

  it('a neighbours callback restricts who a publish reaches', () => {
    const { scheduler, network, inbox } = setup({ neighbours: (p) => (p === 'a' ? ['b'] : []) });
    network.publish('a', 'x', 10);
    scheduler.runSync();
    expect(inbox.get('b')).toHaveLength(1);
    expect(inbox.get('c')).toHaveLength(0);
  });

  it('drop probability p loses ≈ p·N messages', () => {
    const { scheduler, network } = setup({ dropProbability: 0.2 });
    const n = 20_000;
    for (let i = 0; i < n; i++) network.send('a', 'b', 'm', 1);
    scheduler.runSync();
    const dropped = network.totals.messagesDropped;
    // Binomial(20000, 0.2): sd ≈ 57; allow 5 sd.
    expect(Math.abs(dropped - 0.2 * n)).toBeLessThan(300);
    expect(network.counters('b').messagesReceived).toBe(n - dropped);
  });

  it('a partition blocks delivery across groups, heal restores it; in-flight copies are lost', () => {
    const { scheduler, network, inbox } = setup();
    network.partition(100, [['a'], ['b', 'c']]);
    network.heal(300);
    scheduler.at(90, () => network.publish('a', 'in-flight', 1)); // arrives at 140, after the split
    scheduler.at(150, () => network.publish('a', 'blocked', 1));
    scheduler.at(160, () => network.publish('b', 'inside', 1));
    scheduler.at(300, () => network.publish('a', 'healed', 1));
    scheduler.runSync();
    expect(inbox.get('b')?.map((m) => m.payload)).toEqual(['healed']);
    expect(inbox.get('c')?.map((m) => m.payload)).toEqual(['inside', 'healed']);
    expect(network.totals.messagesLost).toBe(2);
    expect(network.reachable('a', 'b')).toBe(true);
  });

  it('offline peers receive nothing and send nothing; counters add up', () => {
    const { scheduler, network, inbox } = setup({ dropProbability: 0.1, latency: { kind: 'uniform', min: 10, max: 100 } });
    const rng = new Rng(3);
    for (let i = 0; i < 2000; i++) {
      scheduler.at(i * 5, () => network.publish(['a', 'b', 'c'][rng.int(3)] as string, 'm', 100));
      if (i % 100 === 0) scheduler.at(i * 5 + 2, () => network.setOnline('c', !network.isOnline('c')));
    }
    scheduler.runSync();
    const t = network.totals;
    expect(t.messagesSent).toBe(t.messagesDelivered + t.messagesDropped + t.messagesLost);
    expect(t.messagesLost).toBeGreaterThan(0);
    const peers = ['a', 'b', 'c'];
    const sum = (f: (p: string) => number) => peers.reduce((s, p) => s + f(p), 0);
    expect(sum((p) => network.counters(p).messagesSent)).toBe(t.messagesSent);
    expect(sum((p) => network.counters(p).messagesReceived)).toBe(t.messagesDelivered);
    expect(sum((p) => network.counters(p).messageBytesReceived)).toBe(100 * t.messagesDelivered);
    expect(sum((p) => inbox.get(p)?.length ?? 0)).toBe(t.messagesDelivered);
  });

  it('region matrix latencies', () => {
    const { scheduler, network, inbox } = setup({
      latency: {
        kind: 'regions',
        regionOf: { a: 'eu', b: 'eu', c: 'us' },
        matrix: { eu: { eu: 10, us: 80 }, us: { us: 5 } },
      },
    });
    network.publish('a', 'x', 1);
    network.publish('c', 'y', 1);
    scheduler.runSync();
    expect(inbox.get('b')?.map((m) => [m.payload, m.at])).toEqual([['x', 10], ['y', 80]]);
    expect(inbox.get('c')?.map((m) => [m.payload, m.at])).toEqual([['x', 80]]);
    expect(() => network.latency('a', 'zz')).toThrow(/zz has no region/);
  });

  it('rejects bad configuration with clear errors', () => {
    const scheduler = new Scheduler();
    expect(() => new SimNetwork({ scheduler, rng: new Rng(1), latency: { kind: 'uniform', min: 5, max: 1 } })).toThrow(NetworkConfigError);
    expect(() => new SimNetwork({ scheduler, rng: new Rng(1), latency: { kind: 'constant', ms: 1 }, dropProbability: 2 })).toThrow(/dropProbability/);
    const { network } = setup();
    expect(() => network.send('a', 'nobody', 'x', 1)).toThrow(/unknown peer nobody/);
  });
});

describe('SimNetwork blob transfers', () => {
  it('1 MB at 1 MB/s takes 1 s + latency', () => {
    const { scheduler, network } = setup({ uploadBps: 1_000_000 });
    const t = timedTransfer(network, 'a', 'b', 1_000_000);
    scheduler.runSync();
    expect(t.result).toEqual({ ok: true });
    expect(t.at).toBeCloseTo(1050, 6);
    expect(network.counters('a').blobBytesSent).toBe(1_000_000);
    expect(network.counters('b').blobBytesReceived).toBe(1_000_000);
  });

  it('two concurrent uploads from one peer share its bandwidth (processor sharing)', () => {
    const { scheduler, network } = setup({ uploadBps: 1_000_000 });
    const t1 = timedTransfer(network, 'a', 'b', 1_000_000);
    const t2 = timedTransfer(network, 'a', 'c', 1_000_000);
    scheduler.runSync();
    expect(t1.at).toBeCloseTo(2050, 6);
    expect(t2.at).toBeCloseTo(2050, 6);
  });

  it('a short upload started later frees the share when it ends', () => {
    const { scheduler, network } = setup({ uploadBps: 1_000_000, latency: { kind: 'constant', ms: 0 } });
    const long = timedTransfer(network, 'a', 'b', 1_000_000);
    let short: ReturnType<typeof timedTransfer> | undefined;
    scheduler.at(200, () => (short = timedTransfer(network, 'a', 'c', 200_000)));
    scheduler.runSync();
    // 0–200 ms: long alone (200 kB); 200–600 ms: both at 0.5 MB/s (short done); then long alone: 400 kB left → 1000 ms.
    expect(short?.at).toBeCloseTo(600, 6);
    expect(long.at).toBeCloseTo(1200, 6);
  });

  it('download bandwidth limits a receiver', () => {
    const scheduler = new Scheduler();
    const network = new SimNetwork({ scheduler, rng: new Rng(1), latency: { kind: 'constant', ms: 0 } });
    network.addPeer('a');
    network.addPeer('b');
    network.addPeer('r', { downloadBps: 100_000 });
    const out: number[] = [];
    network.transfer('a', 'r', 100_000, () => out.push(scheduler.now));
    network.transfer('b', 'r', 100_000, () => out.push(scheduler.now));
    scheduler.runSync();
    expect(out[0]).toBeCloseTo(2000, 6);
    expect(out[1]).toBeCloseTo(2000, 6);
  });

  it('fails when an end goes offline or is partitioned away, or after a timeout when unreachable', () => {
    const { scheduler, network } = setup({ uploadBps: 1_000_000, connectTimeoutMs: 3000 });
    const t1 = timedTransfer(network, 'a', 'b', 1_000_000);
    const t2 = timedTransfer(network, 'c', 'b', 1_000_000);
    scheduler.at(500, () => network.setOnline('a', false));
    network.partition(700, [['c']]);
    scheduler.at(800, () => {
      const t3 = timedTransfer(network, 'b', 'a', 10);
      scheduler.at(4000, () => expect(t3).toEqual({ result: { ok: false, reason: 'offline' }, at: 3800 }));
    });
    scheduler.runSync();
    expect(t1).toEqual({ result: { ok: false, reason: 'offline' }, at: 500 });
    expect(t2).toEqual({ result: { ok: false, reason: 'partitioned' }, at: 700 });
    expect(network.counters('a').blobBytesSent).toBeCloseTo(500_000, 3);
    expect(network.totals.transfersFailed).toBe(3);
    expect(network.counters('b').transfersFailed).toBe(3);
  });

  it('transfer failure probability fails ≈ that fraction; abort reports aborted', () => {
    const { scheduler, network } = setup({ transferFailureProbability: 0.3, uploadBps: 1e9 });
    const n = 3000;
    let ok = 0;
    let failed = 0;
    for (let i = 0; i < n; i++) scheduler.at(i * 100, () => network.transfer('a', 'b', 1000, (r) => (r.ok ? ok++ : failed++)));
    scheduler.runSync();
    expect(ok + failed).toBe(n);
    expect(Math.abs(failed - 0.3 * n)).toBeLessThan(5 * Math.sqrt(n * 0.3 * 0.7));
    const results: TransferResult[] = [];
    const abort = network.transfer('a', 'c', 1000, (r) => results.push(r));
    abort();
    abort();
    scheduler.runSync();
    expect(results).toEqual([{ ok: false, reason: 'aborted' }]);
    expect(network.totals.transfersAborted).toBe(1);
  });

  it('same seed, same run', () => {
    const run = () => {
      const { scheduler, network, inbox } = setup({ dropProbability: 0.3, latency: { kind: 'lognormal', mu: 3, sigma: 1 } });
      for (let i = 0; i < 200; i++) scheduler.at(i, () => network.publish('a', `m${i}`, 1));
      scheduler.runSync();
      return inbox.get('b')?.map((m) => `${m.payload}@${m.at}`);
    };
    expect(run()).toEqual(run());
  });
});
