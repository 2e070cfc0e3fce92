/**
 * The version adverts a curator-mode engine keeps while it may still pull or merge them, within
 * bounds a flood cannot break (docs/PROTOCOL.md §7.14): at most two versions per sender per round
 * (its aggregate and its merge; a third is equivocation), MAX_KNOWN_VERSIONS in all (then the
 * sender holding the most loses its oldest), and a bounded memory of versions found invalid.
 */
import type { Hash, PeerIdString, VersionAdvert } from '../../protocols/messages.ts';
import type { Head } from './events.ts';

export interface KnownVersion {
  readonly advert: VersionAdvert;
  readonly from: PeerIdString;
}

/** Version adverts kept per sender per round: its aggregate and its merge. */
export const MAX_VERSIONS_PER_SENDER_ROUND = 2;
/** Version adverts kept in all. */
export const MAX_KNOWN_VERSIONS = 256;
/** Versions found invalid, remembered so that they are not pulled again. */
export const MAX_REJECTED_VERSIONS = 1024;

export type KeepResult =
  | { readonly kept: true; readonly evicted?: { readonly from: PeerIdString; readonly held: number } }
  /** A third version from one sender for one round: not kept. */
  | { readonly kept: false };

export class VersionBook {
  readonly #versions = new Map<Hash, KnownVersion>();
  /** Versions whose blob was invalid (oldest forgotten first). */
  readonly #rejected = new Set<Hash>();

  get size(): number {
    return this.#versions.size;
  }

  get(hash: Hash): KnownVersion | undefined {
    return this.#versions.get(hash);
  }

  has(hash: Hash): boolean {
    return this.#versions.has(hash);
  }

  delete(hash: Hash): void {
    this.#versions.delete(hash);
  }

  hashes(): IterableIterator<Hash> {
    return this.#versions.keys();
  }

  values(): IterableIterator<KnownVersion> {
    return this.#versions.values();
  }

  /** Records our own version without limits. */
  set(hash: Hash, known: KnownVersion): void {
    this.#versions.set(hash, known);
  }

  /** Keeps `advert` from `from` within the bounds (see the file comment). */
  keep(from: PeerIdString, advert: VersionAdvert): KeepResult {
    if (this.#versions.has(advert.hash)) return { kept: true };
    let sameRound = 0;
    const bySender = new Map<PeerIdString, Hash[]>();
    for (const [hash, known] of this.#versions) {
      if (known.from === from && known.advert.round === advert.round) sameRound++;
      const list = bySender.get(known.from);
      if (list === undefined) bySender.set(known.from, [hash]);
      else list.push(hash);
    }
    if (sameRound >= MAX_VERSIONS_PER_SENDER_ROUND) return { kept: false };
    let evicted: { from: PeerIdString; held: number } | undefined;
    if (this.#versions.size >= MAX_KNOWN_VERSIONS) {
      let heaviest: [PeerIdString, Hash[]] | undefined;
      for (const entry of bySender) if (heaviest === undefined || entry[1].length > heaviest[1].length) heaviest = entry;
      this.#versions.delete(heaviest![1][0]!);
      evicted = { from: heaviest![0], held: heaviest![1].length };
    }
    this.#versions.set(advert.hash, { advert, from });
    return evicted === undefined ? { kept: true } : { kept: true, evicted };
  }

  /** Forgets versions of rounds before `round`. */
  forgetBefore(round: number): void {
    for (const [hash, { advert }] of this.#versions) if (advert.round < round) this.#versions.delete(hash);
  }

  /** `hash` was pulled and is not a valid version: never pulled again. */
  reject(hash: Hash): void {
    this.#versions.delete(hash);
    this.#rejected.add(hash);
    if (this.#rejected.size > MAX_REJECTED_VERSIONS) this.#rejected.delete(this.#rejected.values().next().value!);
  }

  isRejected(hash: Hash): boolean {
    return this.#rejected.has(hash);
  }
}

/**
 * What adopting the advertised version would make the head. Its curator is the one the advert
 * names (re-publishers copy it), not the advert's sender; a merge has none.
 */
export function headFromAdvert(advert: VersionAdvert): Head {
  return {
    round: advert.round,
    hash: advert.hash,
    parent: advert.parent,
    contributors: advert.contributors,
    merged: advert.merged,
    curator: advert.merged.length === 0 ? advert.curator : undefined,
    bytes: advert.bytes,
    ...(advert.metrics === undefined ? {} : { metrics: advert.metrics }),
    ...(advert.patch === undefined ? {} : { patch: advert.patch }),
    ...(advert.signature === undefined || advert.merged.length > 0 ? {} : { signature: advert.signature }),
  };
}

/** The head as a version advert of `task`, to (re)publish; undefined for round 0 or unknown provenance. */
export function advertOfHead(head: Head, task: string, now: number): VersionAdvert | undefined {
  if (head.parent === undefined) return undefined;
  return {
    kind: 'version',
    task,
    round: head.round,
    hash: head.hash,
    parent: head.parent,
    bytes: head.bytes,
    contributors: head.contributors,
    merged: head.merged,
    ...(head.metrics === undefined ? {} : { metrics: head.metrics }),
    ...(head.patch === undefined ? {} : { patch: head.patch }),
    ...(head.curator === undefined || head.merged.length > 0 ? {} : { curator: head.curator }),
    ...(head.signature === undefined || head.merged.length > 0 ? {} : { signature: head.signature }),
    sentAt: now,
  };
}
