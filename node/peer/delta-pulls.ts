/**
 * The delta pulls of one aggregation (PROTOCOL §7.8, "Stragglers"): every offered delta is pulled
 * at once, and no single holder may hold the aggregation for long. Once half of the deltas that
 * had to be pulled (at least two of them) are in, the others get a grace period —
 * `max(graceMs, STRAGGLER_FACTOR × the time that half took)` — and whatever is still being pulled
 * then is cut from the aggregation: it is *late*, not rejected. A late pull goes on in the
 * background, within its own limits (§6.6), and its outcome decides whether its sender is at
 * fault: a delta that arrives late only missed the round; one that never arrives costs a penalty.
 */
import type { Hash, PeerIdString } from '../../protocols/messages.ts';
import type { DeltaOffer, RejectedDelta } from '../round/events.ts';
import type { Clock } from '../round/ports.ts';

/** Stragglers are cut this many times the time the first half of the pulls took (or the grace floor, if longer). */
export const STRAGGLER_FACTOR = 4;

/** How a pull that went on past the cut ended. */
export type LatePullOutcome = { readonly arrived: true } | { readonly arrived: false; readonly reason: string };

/** A delta still being pulled when stragglers were cut. */
export interface LatePull {
  readonly peer: PeerIdString;
  readonly delta: Hash;
  /** Why it was cut: how long it had taken, against what. */
  readonly reason: string;
  /** Settles (never rejects) when the background pull ends. */
  readonly outcome: Promise<LatePullOutcome>;
}

export interface PulledDeltas {
  readonly pulled: readonly { readonly offer: DeltaOffer; readonly blob: Uint8Array }[];
  /** Deltas whose pull failed before the cut. */
  readonly rejected: readonly RejectedDelta[];
  readonly late: readonly LatePull[];
}

export interface DeltaPullOptions {
  readonly clock: Clock;
  /** The grace floor: stragglers are never cut sooner than this after the first half is in. */
  readonly graceMs: number;
  /** Whether the delta is held here already (its "pull" is a local read that cannot straggle). */
  readonly isHeld: (hash: Hash) => Promise<boolean>;
  /** Pulls one delta's blob within the limits of §6.6. */
  readonly pull: (offer: DeltaOffer) => Promise<Uint8Array>;
}

type Settled = { readonly ok: true; readonly blob: Uint8Array } | { readonly ok: false; readonly reason: string };

interface Pull {
  readonly offer: DeltaOffer;
  readonly remote: boolean;
  readonly settled: Promise<Settled>;
  result?: Settled;
}

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Pulls every offered delta; resolves once all are settled, or once stragglers are cut. */
export async function pullDeltas(offers: readonly DeltaOffer[], options: DeltaPullOptions): Promise<PulledDeltas> {
  const { clock, graceMs } = options;
  const started = clock.now();
  const held = await Promise.all(offers.map((offer) => options.isHeld(offer.advert.delta)));
  const pulls: Pull[] = offers.map((offer, i) => ({
    offer,
    remote: !held[i],
    settled: options.pull(offer).then(
      (blob): Settled => ({ ok: true, blob }),
      (error: unknown): Settled => ({ ok: false, reason: `could not pull it: ${reasonOf(error)}` }),
    ),
  }));
  const remote = pulls.filter((pull) => pull.remote).length;
  // With one delta to pull there is nothing to compare it with: it has its own limits only.
  const quorum = remote >= 2 ? Math.ceil(remote / 2) : Infinity;

  let cutNote: string | undefined;
  await new Promise<void>((resolve) => {
    let settled = 0;
    let remoteIn = 0;
    let cancelCut: (() => void) | undefined;
    const done = () => {
      cancelCut?.();
      resolve();
    };
    for (const pull of pulls) {
      void pull.settled.then((result) => {
        pull.result = result;
        settled++;
        if (result.ok && pull.remote) remoteIn++;
        if (remoteIn === quorum && cancelCut === undefined) {
          const halfMs = clock.now() - started;
          const cutAfterMs = Math.max(graceMs, STRAGGLER_FACTOR * halfMs);
          cancelCut = clock.setTimer(cutAfterMs, () => {
            cutNote = `still being pulled ${Math.round(clock.now() - started)} ms after the pulls began; ${quorum} of ${remote} were in after ${Math.round(halfMs)} ms, and stragglers are cut ${Math.round(cutAfterMs)} ms after that`;
            resolve();
          });
        }
        if (settled === pulls.length) done();
      });
    }
    if (pulls.length === 0) done();
  });

  const pulled: { offer: DeltaOffer; blob: Uint8Array }[] = [];
  const rejected: RejectedDelta[] = [];
  const late: LatePull[] = [];
  for (const pull of pulls) {
    const { offer, result } = pull;
    if (result === undefined) {
      late.push({
        peer: offer.from,
        delta: offer.advert.delta,
        reason: cutNote!,
        outcome: pull.settled.then((r) => (r.ok ? { arrived: true } : { arrived: false, reason: r.reason })),
      });
    } else if (result.ok) pulled.push({ offer, blob: result.blob });
    else rejected.push({ peer: offer.from, delta: offer.advert.delta, reason: result.reason });
  }
  return { pulled, rejected, late };
}
