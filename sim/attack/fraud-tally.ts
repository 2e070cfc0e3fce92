/**
 * What became of a curator-mode run's dishonest versions, from what the run recorded: the
 * versions its malicious curators forged (sim/attack/lying-curator.ts), the honest peers' logs of
 * convictions and step-backs (node/round/audits.ts), and each honest peer's final chain (its last
 * checkpoint's head, walked back through its version records). Every figure can be traced to the
 * log lines `fraudLogLines` picks out.
 */
import type { RuntimeStore } from '../../node/peer/runtime.ts';

export interface FraudTally {
  /** Honest peers, which the other figures are about. */
  readonly honestPeers: number;
  /** Versions the malicious curators forged (a version that differs from the honest aggregate). */
  readonly forgedVersions: number;
  /** Forged versions some honest peer adopted (the others it disowned unseen: their curator was convicted already). */
  readonly forgedAdopted: number;
  /** Versions some honest peer proved not to recompute ("… is proven dishonest …: its version X … recomputes to …"). */
  readonly convictedVersions: number;
  /** Convicted versions that were not forged: an honest curator convicted (must be 0). */
  readonly convictedHonestVersions: number;
  /** Peers some honest peer convicted, with how many honest peers convicted each. */
  readonly convictedPeers: readonly { readonly peer: string; readonly by: number }[];
  /** Honest peers some honest peer convicted (must be 0). */
  readonly honestPeersConvicted: number;
  /** Versions some honest peer abandoned, stepping back to their parent ("abandoning version X …"). */
  readonly abandonedVersions: number;
  /** Forged versions in some honest peer's final chain (must be 0). */
  readonly forgedInFinalChains: number;
}

export interface FraudLog {
  readonly peer: string;
  readonly message: string;
}

const CONVICTION = /^(\S+) is proven dishonest and never curates again: (.*)$/;
const FORGERY = /its version (\w+) \(round \d+\) recomputes to/;
const ABANDONING = /^abandoning version (\w+) \(round \d+\)/;
/** Versions are named by this many hex digits in the logs. */
const LOGGED_HASH = 12;

/** The log lines the tally reads: convictions, accusations and step-backs. */
export function fraudLogLines<T extends FraudLog>(logs: readonly T[]): T[] {
  return logs.filter(({ message }) => CONVICTION.test(message) || ABANDONING.test(message) || / does not recompute; checking$/.test(message));
}

/** The hashes in the chain that ends at `store`'s checkpoint head: each version, and the versions a merge merged. */
export async function finalChain(store: Pick<RuntimeStore, 'checkpoint' | 'versions'>): Promise<Set<string>> {
  const chain = new Set<string>();
  let hash = (await store.checkpoint.load())?.head;
  while (hash !== undefined && hash !== '' && !chain.has(hash)) {
    chain.add(hash);
    const record = await store.versions.get(hash);
    if (record === undefined) break;
    for (const leaf of record.merged) chain.add(leaf);
    hash = record.parent;
  }
  return chain;
}

export function tallyFraud(input: {
  /** Honest peers' ids. */
  readonly honest: readonly string[];
  readonly forged: ReadonlySet<string>;
  /** Whether some honest peer adopted the version `hash` (it has a record of it). */
  readonly adopted: (hash: string) => boolean;
  readonly logs: readonly FraudLog[];
  /** Each honest peer's final chain (`finalChain`). */
  readonly chains: readonly ReadonlySet<string>[];
}): FraudTally {
  const honest = new Set(input.honest);
  const forgedShort = new Set([...input.forged].map((hash) => hash.slice(0, LOGGED_HASH)));
  const convictedBy = new Map<string, Set<string>>();
  const convictedVersions = new Set<string>();
  const abandoned = new Set<string>();
  for (const { peer, message } of input.logs) {
    if (!honest.has(peer)) continue;
    const conviction = CONVICTION.exec(message);
    if (conviction !== null) {
      const convicted = conviction[1]!;
      convictedBy.set(convicted, (convictedBy.get(convicted) ?? new Set()).add(peer));
      const forgery = FORGERY.exec(conviction[2]!);
      if (forgery !== null) convictedVersions.add(forgery[1]!);
    }
    const step = ABANDONING.exec(message);
    if (step !== null) abandoned.add(step[1]!);
  }
  const inChains = new Set([...input.forged].filter((hash) => input.chains.some((chain) => chain.has(hash))));
  return {
    honestPeers: honest.size,
    forgedVersions: input.forged.size,
    forgedAdopted: [...input.forged].filter(input.adopted).length,
    convictedVersions: convictedVersions.size,
    convictedHonestVersions: [...convictedVersions].filter((hash) => !forgedShort.has(hash)).length,
    convictedPeers: [...convictedBy].map(([peer, by]) => ({ peer, by: by.size })).sort((a, b) => (a.peer < b.peer ? -1 : 1)),
    honestPeersConvicted: [...convictedBy.keys()].filter((peer) => honest.has(peer)).length,
    abandonedVersions: abandoned.size,
    forgedInFinalChains: inChains.size,
  };
}
