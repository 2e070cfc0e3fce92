import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../sim/core/scheduler.ts';
import { BlobFetchError, SimNetwork, SimTransport } from '../../sim/core/network.ts';
import type { Transport } from '../../node/round/ports.ts';
import type { Advert, ReceivedAdvert } from '../../protocols/messages.ts';
import { Rng } from '../../node/learn/rng.ts';

const presence = (round: number): Advert => ({ kind: 'presence', task: 't', round, head: 'h'.repeat(64), age: 0, sentAt: 0 });

function world(options: { holdings?: Record<string, Record<string, number>>; connectTimeoutMs?: number } = {}) {
  const scheduler = new Scheduler();
  const network = new SimNetwork<Advert>({
    scheduler,
    rng: new Rng(5),
    latency: { kind: 'constant', ms: 20 },
    uploadBps: 1_000_000,
    connectTimeoutMs: options.connectTimeoutMs ?? 1000,
  });
  const holdings = options.holdings ?? {};
  const make = (self: string): Transport =>
    new SimTransport({
      network,
      self,
      advertBytes: (a) => (a.kind === 'presence' ? 100 : 400),
      holds: (peer, hash) => holdings[peer]?.[hash],
      blobOf: (hash) => (hash === 'special' ? new Uint8Array([1, 2, 3]) : undefined),
    });
  const peers = { a: make('a'), b: make('b'), c: make('c'), d: make('d') };
  return { scheduler, network, peers };
}

describe('SimTransport (Transport port on the simulated network)', () => {
  it('publish reaches online subscribers only, after the latency', async () => {
    const { scheduler, network, peers } = world();
    const got: Record<string, { received: ReceivedAdvert; at: number }[]> = { b: [], c: [], d: [] };
    for (const id of ['b', 'c'] as const) peers[id].onAdvert((received) => got[id]?.push({ received, at: scheduler.now }));
    // d never subscribes; c goes offline.
    network.setOnline('c', false);
    await peers.a.publish(presence(1));
    await scheduler.run();
    expect(got.b).toEqual([{ received: { from: 'a', advert: presence(1) }, at: 20 }]);
    expect(got.c).toEqual([]);
    expect(got.d).toEqual([]);
    expect(network.counters('a').messageBytesSent).toBe(100);
  });

  it('unsubscribe and stop end delivery', async () => {
    const { scheduler, peers } = world();
    const got: number[] = [];
    const off = peers.b.onAdvert((r) => got.push(r.advert.round));
    peers.c.onAdvert((r) => got.push(100 + r.advert.round));
    await peers.a.publish(presence(1));
    await scheduler.run();
    off();
    await peers.c.stop();
    await peers.c.stop();
    await peers.a.publish(presence(2));
    await scheduler.run();
    expect(got.sort()).toEqual([1, 101]);
  });

  it('fetch succeeds from an online holder after latency + bytes / bandwidth', async () => {
    const { scheduler, peers } = world({ holdings: { b: { x: 500_000, special: 3 } } });
    const signal = new AbortController().signal;
    const pending = peers.a.fetch('x', ['b'], { maxBytes: 1e9, signal });
    let doneAt = -1;
    void pending.then(() => (doneAt = scheduler.now));
    await scheduler.run();
    expect((await pending).byteLength).toBe(500_000);
    expect(doneAt).toBeCloseTo(520, 6);
    const special = peers.a.fetch('special', ['b'], { maxBytes: 10, signal });
    await scheduler.run();
    expect([...(await special)]).toEqual([1, 2, 3]);
  });

  it('falls back to the next holder when the first is offline (after the connect timeout)', async () => {
    const { scheduler, network, peers } = world({ holdings: { b: { x: 1000 }, c: { x: 1000 } } });
    network.setOnline('b', false);
    const pending = peers.a.fetch('x', ['b', 'd', 'c'], { maxBytes: 1e9, signal: new AbortController().signal });
    let doneAt = -1;
    void pending.then(() => (doneAt = scheduler.now));
    await scheduler.run();
    expect((await pending).byteLength).toBe(1000);
    // b: 1000 ms timeout; d: online but does not hold x: a 40 ms round trip; c: 20 ms + 1 ms.
    expect(doneAt).toBeCloseTo(1061, 6);
  });

  it('rejects when no holder serves the blob, or it is too large', async () => {
    const { scheduler, network, peers } = world({ holdings: { b: { x: 1000 } } });
    network.partitionNow([['a'], ['b', 'c', 'd']]);
    const none = peers.a.fetch('x', ['b', 'c'], { maxBytes: 1e9, signal: new AbortController().signal });
    const caught = none.catch((e: unknown) => e);
    await scheduler.run();
    const error = await caught;
    expect(error).toBeInstanceOf(BlobFetchError);
    expect((error as Error).message).toMatch(/b: unreachable.*c: unreachable/);
    network.healNow();
    const big = peers.a.fetch('x', ['b'], { maxBytes: 999, signal: new AbortController().signal }).catch((e: unknown) => e);
    const empty = peers.a.fetch('x', [], { maxBytes: 999, signal: new AbortController().signal }).catch((e: unknown) => e);
    await scheduler.run();
    expect(((await big) as Error).message).toMatch(/more than maxBytes 999/);
    expect(((await empty) as Error).message).toMatch(/no holders/);
  });

  it('honours AbortSignal during a transfer and before it starts', async () => {
    const { scheduler, network, peers } = world({ holdings: { b: { x: 1_000_000 } } });
    const controller = new AbortController();
    const pending = peers.a.fetch('x', ['b'], { maxBytes: 1e9, signal: controller.signal }).catch((e: unknown) => e);
    scheduler.at(300, () => controller.abort(new Error('deadline')));
    await scheduler.run();
    expect(((await pending) as Error).message).toBe('deadline');
    expect(scheduler.now).toBe(300);
    expect(network.totals.transfersAborted).toBe(1);
    await expect(peers.a.fetch('x', ['b'], { maxBytes: 1e9, signal: controller.signal })).rejects.toThrow('deadline');
  });

  it('without holds/blobOf, fetch uses the blobs the holder serves', async () => {
    const scheduler = new Scheduler();
    const network = new SimNetwork<Advert>({ scheduler, rng: new Rng(1), latency: { kind: 'constant', ms: 10 } });
    const a = new SimTransport({ network, self: 'a' });
    const b = new SimTransport({ network, self: 'b' });
    const blob = new Uint8Array([9, 8, 7]);
    await b.serve(async (hash) => (hash === 'y' ? blob : undefined));
    const got = a.fetch('y', ['b'], { maxBytes: 10, signal: new AbortController().signal });
    const missing = a.fetch('z', ['b'], { maxBytes: 10, signal: new AbortController().signal }).catch((e: unknown) => e);
    await scheduler.run();
    expect(await got).toBe(blob);
    expect(((await missing) as Error).message).toMatch(/does not hold/);
    expect(b.lookup).toBeDefined();
  });
});
