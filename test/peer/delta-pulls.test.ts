/**
 * The straggler cut of an aggregation's delta pulls (node/peer/delta-pulls.ts, PROTOCOL §7.8):
 * pulls the test settles by hand, on the system clock with a short grace floor.
 */
import { describe, expect, it } from 'vitest';
import { pullDeltas, type DeltaPullOptions } from '../../node/peer/delta-pulls.ts';
import type { DeltaOffer } from '../../node/round/events.ts';
import { systemClock } from '../../node/round/ports.ts';

const offer = (from: string, delta = `delta-of-${from}`): DeltaOffer => ({
  from,
  advert: { kind: 'delta', task: 't', round: 3, base: 'b', delta, bytes: 4, samples: 1, metrics: { loss: 1, accuracy: 0 }, sentAt: 0 },
  holders: [from],
});

/** A pull the test ends when it wants. */
function manualPull() {
  let resolve!: (blob: Uint8Array) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<Uint8Array>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function options(pulls: Record<string, Promise<Uint8Array>>, held: readonly string[] = []): DeltaPullOptions {
  return {
    clock: systemClock,
    graceMs: 20,
    isHeld: async (hash) => held.includes(hash),
    pull: ({ from }) => pulls[from]!,
  };
}

const bytes = new Uint8Array([1, 2, 3, 4]);

describe('pullDeltas', () => {
  it('waits for every pull when none straggles', async () => {
    const result = await pullDeltas([offer('b'), offer('c'), offer('d')], options({ b: Promise.resolve(bytes), c: Promise.resolve(bytes), d: Promise.reject(new Error('hash mismatch')) }));
    expect(result.pulled.map((p) => p.offer.from).sort()).toEqual(['b', 'c']);
    expect(result.rejected).toEqual([{ peer: 'd', delta: 'delta-of-d', reason: 'could not pull it: hash mismatch' }]);
    expect(result.late).toEqual([]);
  });

  it('cuts a pull still running after the grace once half are in; its outcome comes later', async () => {
    const silent = manualPull();
    const result = await pullDeltas([offer('b'), offer('c'), offer('m')], options({ b: Promise.resolve(bytes), c: Promise.resolve(bytes), m: silent.promise }));
    expect(result.pulled.map((p) => p.offer.from).sort()).toEqual(['b', 'c']);
    expect(result.rejected).toEqual([]);
    expect(result.late.map(({ peer, delta }) => ({ peer, delta }))).toEqual([{ peer: 'm', delta: 'delta-of-m' }]);
    expect(result.late[0]!.reason).toMatch(/^still being pulled \d+ ms after the pulls began; 2 of 3 were in after \d+ ms, and stragglers are cut \d+ ms after that$/);
    silent.reject(new Error('m stalled serving blob delta-of-m'));
    expect(await result.late[0]!.outcome).toEqual({ arrived: false, reason: 'could not pull it: m stalled serving blob delta-of-m' });
  });

  it('reports a cut pull that completes later as arrived', async () => {
    const slow = manualPull();
    const result = await pullDeltas([offer('b'), offer('m')], options({ b: Promise.resolve(bytes), m: slow.promise }));
    expect(result.late.map((l) => l.peer)).toEqual(['m']);
    slow.resolve(bytes);
    expect(await result.late[0]!.outcome).toEqual({ arrived: true });
  });

  it('never cuts the only delta that had to be pulled (there is nothing to compare it with)', async () => {
    const slow = manualPull();
    const pulled = pullDeltas([offer('a'), offer('m')], options({ a: Promise.resolve(bytes), m: slow.promise }, ['delta-of-a']));
    // Well past the grace: still waiting, since the held delta of `a` does not count as a pull.
    const settledEarly = await Promise.race([pulled.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 200))]);
    expect(settledEarly).toBe(false);
    slow.resolve(bytes);
    const result = await pulled;
    expect(result.pulled.map((p) => p.offer.from).sort()).toEqual(['a', 'm']);
    expect(result.late).toEqual([]);
  });

  it('does not start the cut on pulls that failed', async () => {
    const slow = manualPull();
    const pulled = pullDeltas([offer('b'), offer('c'), offer('m')], options({ b: Promise.reject(new Error('gone')), c: Promise.reject(new Error('gone')), m: slow.promise }));
    const settledEarly = await Promise.race([pulled.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 200))]);
    expect(settledEarly).toBe(false);
    slow.resolve(bytes);
    const result = await pulled;
    expect(result.pulled.map((p) => p.offer.from)).toEqual(['m']);
    expect(result.rejected.map((r) => r.peer).sort()).toEqual(['b', 'c']);
  });

  it('resolves at once with nothing to pull', async () => {
    expect(await pullDeltas([], options({}))).toEqual({ pulled: [], rejected: [], late: [] });
  });
});
