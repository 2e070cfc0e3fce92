/**
 * The simulator's Transport gives up on a holder as the libp2p client does (PROTOCOL §6.6), in
 * virtual time: a holder that does not answer after firstByteTimeoutMs, one too slow for its
 * size-scaled deadline, one holding another size than expected. Times are exact: a run is a
 * pure function of what was scheduled.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../node/learn/rng.ts';
import { perHolderDeadlineMs } from '../../protocols/blob/limits.ts';
import type { Advert } from '../../protocols/messages.ts';
import { SimNetwork } from '../../sim/core/network.ts';
import { Scheduler } from '../../sim/core/scheduler.ts';
import { BlobFetchError, SimTransport } from '../../sim/core/sim-transport.ts';

const FIRST_BYTE_TIMEOUT_MS = 1_000;
const MIN_BYTES_PER_SECOND = 100_000;
const LATENCY_MS = 20;
const SIZE = 200_000;
const never = new Promise<Uint8Array | undefined>(() => {});

/** a pulls; b, c hold `x` (SIZE bytes) unless told otherwise; uploads at 1 MB/s, `slow` at 1 kB/s. */
function world(holdings: Record<string, number> = { b: SIZE, c: SIZE }) {
  const scheduler = new Scheduler();
  const network = new SimNetwork<Advert>({ scheduler, rng: new Rng(3), latency: { kind: 'constant', ms: LATENCY_MS }, uploadBps: 1_000_000 });
  network.addPeer('slow', { uploadBps: 1_000 });
  for (const holder of Object.keys(holdings)) network.addPeer(holder);
  const holdsX: Record<string, number> = { ...holdings, slow: SIZE };
  const transport = (self: string): SimTransport =>
    new SimTransport({
      network,
      self,
      firstByteTimeoutMs: FIRST_BYTE_TIMEOUT_MS,
      minBytesPerSecond: MIN_BYTES_PER_SECOND,
      ...(self === 'a' ? { holds: (peer: string, hash: string) => (hash === 'x' ? holdsX[peer] : undefined) } : {}),
    });
  return { scheduler, network, a: transport('a'), transport };
}

/** Runs the scheduler until `fetching` settles; returns its outcome and the virtual time it settled at. */
async function settle(scheduler: Scheduler, fetching: Promise<Uint8Array>): Promise<{ result: Uint8Array | Error; at: number }> {
  let at = -1;
  const outcome = fetching.then(
    (bytes) => ((at = scheduler.now), bytes),
    (error: Error) => ((at = scheduler.now), error),
  );
  await scheduler.run();
  return { result: await outcome, at };
}

const transferMs = (bytes: number, bps: number): number => LATENCY_MS + (bytes * 1000) / bps;

describe('SimTransport per-holder deadlines', () => {
  it('gives up on a holder whose lookup never answers after firstByteTimeoutMs, then pulls from the next', async () => {
    const scheduler = new Scheduler();
    const network = new SimNetwork<Advert>({ scheduler, rng: new Rng(1), latency: { kind: 'constant', ms: LATENCY_MS }, uploadBps: 1_000_000 });
    const make = (self: string) => new SimTransport({ network, self, firstByteTimeoutMs: FIRST_BYTE_TIMEOUT_MS });
    const [a, mute, honest] = [make('a'), make('mute'), make('honest')];
    await mute.serve(() => never);
    const blob = new Uint8Array(SIZE).fill(7);
    await honest.serve(async (hash) => (hash === 'x' ? blob : undefined));
    const { result, at } = await settle(scheduler, a.fetch('x', ['mute', 'honest'], { maxBytes: 1e9, signal: new AbortController().signal }));
    expect(result).toBe(blob);
    expect(at).toBeCloseTo(FIRST_BYTE_TIMEOUT_MS + transferMs(SIZE, 1_000_000), 6);

    const alone = await settle(scheduler, a.fetch('x', ['mute'], { maxBytes: 1e9, signal: new AbortController().signal }));
    expect(alone.result).toBeInstanceOf(BlobFetchError);
    expect((alone.result as Error).message).toMatch(/mute: stalled: no answer within 1000 ms/);
  });

  it('with expectedBytes, cancels a holder too slow for firstByteTimeoutMs + size / minBytesPerSecond and pulls from the next', async () => {
    const { scheduler, network, a } = world();
    const deadlineMs = perHolderDeadlineMs(SIZE, FIRST_BYTE_TIMEOUT_MS, MIN_BYTES_PER_SECOND);
    const signal = new AbortController().signal;
    const { result, at } = await settle(scheduler, a.fetch('x', ['slow', 'b'], { maxBytes: 1e9, signal, expectedBytes: SIZE }));
    expect((result as Uint8Array).byteLength).toBe(SIZE);
    expect(at).toBeCloseTo(deadlineMs + transferMs(SIZE, 1_000_000), 6);
    expect(network.totals.transfersAborted).toBe(1);

    // Without expectedBytes the slow holder is waited for: 200 s at 1 kB/s.
    const unsized = await settle(scheduler, a.fetch('x', ['slow', 'b'], { maxBytes: 1e9, signal }));
    expect(unsized.at - at).toBeCloseTo(transferMs(SIZE, 1_000), 6);
  });

  it('with expectedBytes, fails a holder of another size after a round trip, and refuses a size above maxBytes at once', async () => {
    const { scheduler, network, a } = world({ b: SIZE + 1, c: SIZE });
    const signal = new AbortController().signal;
    const { result, at } = await settle(scheduler, a.fetch('x', ['b', 'c'], { maxBytes: 1e9, signal, expectedBytes: SIZE }));
    expect((result as Uint8Array).byteLength).toBe(SIZE);
    expect(at).toBeCloseTo(2 * LATENCY_MS + transferMs(SIZE, 1_000_000), 6);

    const alone = await settle(scheduler, a.fetch('x', ['b'], { maxBytes: 1e9, signal, expectedBytes: SIZE }));
    expect((alone.result as Error).message).toMatch(/b: announced 200001 bytes, expected 200000/);

    const started = network.totals.transfersStarted;
    await expect(a.fetch('x', ['c'], { maxBytes: SIZE - 1, signal, expectedBytes: SIZE })).rejects.toBeInstanceOf(BlobFetchError);
    expect(network.totals.transfersStarted).toBe(started);
  });

  it('is deterministic: the same pulls give the same times', async () => {
    const times: number[][] = [];
    for (let run = 0; run < 2; run++) {
      const { scheduler, a } = world();
      const signal = new AbortController().signal;
      const first = await settle(scheduler, a.fetch('x', ['slow', 'b'], { maxBytes: 1e9, signal, expectedBytes: SIZE }));
      const second = await settle(scheduler, a.fetch('x', ['slow', 'c'], { maxBytes: 1e9, signal, expectedBytes: SIZE }));
      expect((second.result as Uint8Array).byteLength).toBe(SIZE);
      times.push([first.at, second.at]);
    }
    expect(times[1]).toEqual(times[0]);
  });
});
