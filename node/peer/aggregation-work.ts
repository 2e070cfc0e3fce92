/**
 * The two heavy effects of a curator-mode peer, carried out for the runtime (runtime.ts): aggregating
 * the round's deltas as curator (§7.8) and recomputing another curator's version as auditor or to
 * check a fraud advert (§7.15). Both run the same `learner.aggregate`, which is what makes an audit
 * a bit-for-bit check.
 */
import type { Contributor } from '../../protocols/messages.ts';
import type { Effect, EngineEvent, RejectedDelta } from '../round/events.ts';
import type { Clock } from '../round/ports.ts';
import { hashBytes } from '../store/blobs.ts';
import { pullDeltas, type LatePull } from './delta-pulls.ts';
import type { OfferedDelta } from './learner.ts';
import type { PeerEvent, RuntimeLearner, RuntimeStore, RuntimeTrace } from './runtime.ts';

/** Gets a blob from the store, or pulls it from `holders` (the runtime's `#blob`). */
export type BlobSource = (hash: string, holders: readonly string[], options?: { readonly timeoutMs?: number; readonly expectedBytes?: number }) => Promise<Uint8Array>;

export interface WorkContext {
  readonly learner: RuntimeLearner;
  readonly store: RuntimeStore;
  readonly clock: Clock;
  /** Longest a whole pull may take (the runtime's `fetchTimeoutMs`). */
  readonly fetchTimeoutMs: number;
  readonly blob: BlobSource;
  readonly emit: (event: PeerEvent) => void;
  readonly observe: (trace: RuntimeTrace) => void;
}

/** An aggregation found no delta it could use; `rejected` says why for each. */
export class NoValidDeltaError extends Error {
  override name = 'NoValidDeltaError';
  readonly rejected: readonly RejectedDelta[];
  constructor(message: string, rejected: readonly RejectedDelta[]) {
    super(message);
    this.rejected = rejected;
  }
}

/**
 * Pulls, screens, validates and aggregates the round's deltas onto the base, stores the version
 * and its patch: the `aggregated` event. Pulls cut as stragglers are handed to `onLate` (their
 * outcome is reported once the event is delivered).
 */
export async function aggregateDeltas(effect: Extract<Effect, { type: 'aggregate' }>, ctx: WorkContext, onLate: (late: readonly LatePull[]) => void): Promise<EngineEvent> {
  const { learner, store, clock } = ctx;
  const base = await ctx.blob(effect.base, []);
  const pulls = await pullDeltas(effect.deltas, {
    clock,
    graceMs: effect.graceMs,
    isHeld: (hash) => store.blobs.has(hash),
    // Half the limit: an aggregator (a standby, say) must be done before the next slot opens.
    pull: ({ advert, holders }) => ctx.blob(advert.delta, holders, { timeoutMs: ctx.fetchTimeoutMs / 2, expectedBytes: advert.bytes }),
  });
  onLate(pulls.late);
  const rejected = [...pulls.rejected];
  const offered: OfferedDelta[] = pulls.pulled.map(({ offer, blob }) => ({ from: offer.from, blob, samples: offer.advert.samples }));
  ctx.observe({ kind: 'pulled', round: effect.round, deltas: offered.length });
  offered.sort((a, b) => (a.from < b.from ? -1 : 1));
  // Update evaluation (optional, PROTOCOL §7.8): a left-out delta is logged, not penalised.
  const screened = learner.screenUpdates === undefined ? { kept: offered, dropped: [] } : await learner.screenUpdates(base, offered);
  for (const d of screened.dropped) ctx.emit({ type: 'rejected', round: effect.round, peer: d.from, reason: d.reason });
  const result = learner.aggregate(base, screened.kept);
  const advertOf = new Map(effect.deltas.map(({ from, advert }) => [from, advert]));
  for (const r of result.rejected) rejected.push({ peer: r.from, delta: advertOf.get(r.from)?.delta ?? '', reason: r.reason });
  for (const r of rejected) ctx.emit({ type: 'rejected', round: effect.round, peer: r.peer, reason: r.reason });
  // Each contribution carries its trainer's signature from its advert (ours is signed as the version is published).
  const contributors: Contributor[] = result.accepted.map((d) => {
    const { delta, signature } = advertOf.get(d.from)!;
    return { peer: d.from, delta, samples: d.samples, ...(signature === undefined ? {} : { signature }) };
  });
  if (contributors.length === 0) throw new NoValidDeltaError(`no valid delta among ${effect.deltas.length}`, rejected);
  const version = await store.blobs.put(result.blob);
  const patch = result.patch === undefined ? undefined : await store.blobs.put(result.patch);
  const metrics = await learner.validate(result.blob);
  return {
    type: 'aggregated',
    now: clock.now(),
    round: effect.round,
    base: effect.base,
    version,
    bytes: result.blob.byteLength,
    contributors,
    rejected,
    late: pulls.late.map(({ peer, delta, reason }) => ({ peer, delta, reason })),
    ...(metrics === undefined ? {} : { metrics }),
    ...(patch === undefined ? {} : { patch }),
  };
}

/** Pulls an audited version's parent and listed deltas and aggregates them again: the `audited` event. */
export async function recomputeVersion(effect: Extract<Effect, { type: 'audit' }>, ctx: WorkContext): Promise<EngineEvent> {
  const { version, holders } = effect.audit;
  // Off the round's critical path: twice the usual time. Each delta from its trainer first, then
  // from the curator and accusers (who pulled it).
  const timeoutMs = 2 * ctx.fetchTimeoutMs;
  const parent = await ctx.blob(version.parent, holders, { timeoutMs });
  const offered: OfferedDelta[] = await Promise.all(
    version.contributors.map(async (c) => ({ from: c.peer, blob: await ctx.blob(c.delta, [c.peer, ...holders.filter((h) => h !== c.peer)], { timeoutMs }), samples: c.samples })),
  );
  const result = ctx.learner.aggregate(parent, offered);
  return { type: 'audited', now: ctx.clock.now(), audit: effect.audit, recomputed: hashBytes(result.blob) };
}
