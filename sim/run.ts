/**
 * Runs a federation in the simulator: every peer is the real round engine and the real peer
 * runtime (node/round, node/peer), talking through a simulated network in virtual time. Only
 * the ports differ from a real peer: SimTransport instead of libp2p, VirtualClock instead of the
 * system clock, an in-memory store, and one TF.js model shared by all peers — or, in a
 * protocol-only run, synthetic learners whose small token blobs stand for deltas and versions
 * of a declared size (sim/peer/synthetic-learning.ts).
 */
import { Rng } from '../node/learn/rng.ts';
import type { Dataset } from '../node/learn/data/dataset.ts';
import { PeerRuntime, type PeerEvent } from '../node/peer/runtime.ts';
import { createEngine } from '../node/peer/peer.ts';
import type { Effect, Head } from '../node/round/events.ts';
import type { TaskManifest } from '../node/task/manifest.ts';
import type { ChurnSchedule } from './core/churn.ts';
import type { LatencyModel } from './core/links.ts';
import { SimNetwork } from './core/network.ts';
import { Scheduler, VirtualClock } from './core/scheduler.ts';
import { SimTransport } from './core/sim-transport.ts';
import { registerSimKey, simPeerId } from './core/identities.ts';
import type { PrivateKey } from '@libp2p/interface';
import type { Advert } from '../protocols/messages.ts';
import type { SimLearning } from './peer/learning.ts';
import { BlobPool, MemoryStore } from './peer/memory-store.ts';
import { modelLearning } from './peer/model-learning.ts';
import { DeltaNorms } from './peer/delta-norms.ts';
import { syntheticLearning, type SyntheticLearningOptions } from './peer/synthetic-learning.ts';
import type { Overlay } from './topology/spec.ts';
import { armedLearners, type ArmedLearner } from './attack/arm.ts';
import { isCuratorAttack, type AttackPlan } from './attack/spec.ts';
import { finalChain, tallyFraud, type FraudTally } from './attack/fraud-tally.ts';

export { consensusDistanceOf } from './peer/model-learning.ts';

/** Simulated peers announce themselves as often as real ones do by default. */
const DEFAULT_PRESENCE_INTERVAL_MS = 2000;

/** Peers that train a real model: one dataset per peer, and the held-out data every version is measured on. */
interface TrainingPeers {
  readonly shards: readonly Dataset[];
  readonly test: Dataset;
}

/** Protocol-only peers (no training): `protocolOnly.peers` of them, blobs standing for the sizes given. */
interface ProtocolOnlyPeers {
  readonly protocolOnly: SyntheticLearningOptions;
}

export type SimRunOptions = (TrainingPeers | ProtocolOnlyPeers) & SimRunSettings;

interface SimRunSettings {
  readonly task: TaskManifest;
  readonly seed: number;
  /** The peers' keys (e.g. those of a real federation to compare with); default `simPeerKey(i)`. */
  readonly peerKeys?: readonly PrivateKey[];
  /**
   * Who hears whose adverts (and so whom a gossip peer can pull from); default everyone. A
   * dynamic topology is read at the publishing peer's current round.
   */
  readonly topology?: Overlay;
  readonly latency?: LatencyModel;
  readonly dropProbability?: number;
  readonly uploadBps?: number;
  readonly downloadBps?: number;
  /**
   * How often each peer announces its head (a peer unheard for 3 intervals is not live). Every
   * peer hears every announcement, so with N peers this costs N² deliveries per interval: large
   * networks need longer intervals. Default 2,000 ms, as a real peer.
   */
  readonly presenceIntervalMs?: number;
  /** Virtual training speed of every peer. Default 2,000 samples/s. */
  readonly samplesPerSecond?: number;
  /** Virtual time after which the run stops whatever happens. Default 1 hour. */
  readonly maxVirtualMs?: number;
  /** Scheduled partitions (groups of peer indices) and heals, in virtual ms. */
  readonly partitions?: readonly ({ readonly kind: 'partition'; readonly at: number; readonly groups: readonly (readonly number[])[] } | { readonly kind: 'heal'; readonly at: number })[];
  /** When peers go down and come back (default: always on). */
  readonly churn?: ChurnSchedule;
  /**
   * Curator failover: in each round, with `probability` (drawn from the seed per round), the
   * first peer to begin aggregating that round crashes at that moment — its collected deltas and
   * its version are lost — and restarts from its checkpoint `downMs` later.
   */
  readonly curatorCrash?: { readonly probability: number; readonly downMs: number };
  /** Hostile peers by index and their attacks (sim/attack/); default none. */
  readonly attackers?: AttackPlan;
  readonly onRound?: (round: SimRound) => void;
}

export interface SimRound {
  readonly round: number;
  /** Virtual ms at which the last live peer adopted it. */
  readonly time: number;
  readonly hash: string;
  readonly curator: string | undefined;
  readonly contributors: readonly string[];
  /** Of the first peer's head (in curator mode every peer's head); NaN in protocol-only runs. */
  readonly accuracy: number;
  readonly loss: number;
  /**
   * Test accuracy of every peer's head for this round: in gossip mode the heads differ. With
   * malicious curators, this and the fields above are of the honest peers' heads only.
   */
  readonly peerAccuracy: { readonly min: number; readonly mean: number; readonly max: number };
  /**
   * Gossip-mode runs with attackers: `peerAccuracy` over the honest peers' heads only (in curator
   * mode every peer holds the same version, so `peerAccuracy` is the honest peers' already).
   */
  readonly honestAccuracy?: { readonly min: number; readonly mean: number; readonly max: number };
  /**
   * How far the peers' models are from their mean: sqrt(mean_i ||w_i − w̄||²) over the model
   * weights. 0 when every peer holds the same version (curator mode); gossip mode mixes toward 0.
   * Protocol-only runs: 0 when every peer holds the same version, else NaN.
   */
  readonly consensusDistance: number;
  /** Median L2 norm of the deltas honest peers trained for this round; absent in protocol-only runs. */
  readonly honestDeltaNorm?: number;
  /** Cumulative, when the round completed: bytes received per peer (blobs + adverts), messages sent, failed blob transfers. */
  readonly bytesPerPeer: number;
  readonly messages: number;
  readonly failedTransfers: number;
  /** Whether a curator crashed while aggregating this round; only in runs with `curatorCrash`. */
  readonly curatorCrashed?: boolean;
}

export interface SimRun {
  /** The rounds as they stand at the end, in the order they completed. */
  readonly rounds: readonly SimRound[];
  /**
   * Rounds reported and then abandoned: the peers stepped back over their versions (a fraud proof
   * convicted the version's curator, or its ancestor's). A round redone after is in `rounds`.
   */
  readonly abandonedRounds: readonly SimRound[];
  /** Curator mode: what became of the versions malicious curators forged (sim/attack/fraud-tally.ts). */
  readonly fraud?: FraudTally;
  readonly peers: readonly string[];
  readonly events: number;
  readonly virtualMs: number;
  readonly logs: readonly { readonly peer: string; readonly level: string; readonly message: string }[];
}

/** Simulated peer ids: derived from the index, so a scenario's elections are the same on every run. */
export { simPeerId } from './core/identities.ts';

export async function simulate(options: SimRunOptions): Promise<SimRun> {
  const { task } = options;
  const learning: SimLearning =
    'protocolOnly' in options ? syntheticLearning(options.protocolOnly) : await modelLearning(task, options.shards, options.test);
  const peerCount = 'protocolOnly' in options ? options.protocolOnly.peers : options.shards.length;
  const scheduler = new Scheduler();
  const clock = new VirtualClock(scheduler);
  const indexOf = new Map<string, number>();
  const peers = Array.from({ length: peerCount }, (_, i) => (options.peerKeys?.[i] === undefined ? simPeerId(i) : registerSimKey(options.peerKeys[i]!)));
  peers.forEach((peer, i) => indexOf.set(peer, i));
  /** The running runtime of each peer; undefined while the peer is down. */
  const runtimes: (PeerRuntime | undefined)[] = [];
  const topology = options.topology;
  const neighbours =
    topology === undefined
      ? undefined
      : (peer: string): readonly string[] => {
          const index = indexOf.get(peer)!;
          const round = runtimes[index]?.engine.round ?? 0;
          return [...topology.forRound(round).neighbours(index)].map((i) => peers[i]!);
        };
  const network = new SimNetwork<Advert>({
    scheduler,
    ...(neighbours === undefined ? {} : { neighbours }),
    rng: new Rng(options.seed).fork('network'),
    latency: options.latency ?? { kind: 'constant', ms: 0 },
    ...(options.dropProbability === undefined ? {} : { dropProbability: options.dropProbability }),
    ...(options.uploadBps === undefined ? {} : { uploadBps: options.uploadBps }),
    ...(options.downloadBps === undefined ? {} : { downloadBps: options.downloadBps }),
  });
  const pool = new BlobPool();
  const samplesPerSecond = options.samplesPerSecond ?? 2000;
  const logs: { peer: string; level: string; message: string }[] = [];
  /** Per round not yet reported: the peers that adopted its version, and those that moved past it without (caught up over it). */
  const adopted = new Map<number, { heads: Map<string, Head>; passed: Set<string>; time: number }>();
  const rounds: SimRound[] = [];
  const abandonedRounds: SimRound[] = [];
  const reported = new Set<number>();
  /** The round of each peer's last adoption: a lower one is a step back (node/round/audits.ts). */
  const lastAdopted = new Map<string, number>();
  let pendingReports: number[] = [];
  let onlineCount = 0;

  /** A round is complete when every peer online now has adopted it. */
  const checkComplete = (round: number) => {
    const entry = adopted.get(round);
    if (entry === undefined || reported.has(round) || pendingReports.includes(round)) return;
    if (entry.heads.size + entry.passed.size < onlineCount) return; // cannot be complete yet: spares an O(peers) check per adoption
    const online = peers.filter((_, i) => runtimes[i] !== undefined);
    if (online.length > 0 && online.every((peer) => entry.heads.has(peer) || entry.passed.has(peer))) pendingReports.push(round);
  };

  /**
   * `peer` adopted a version of `round`. Below its last adoption, it stepped back over abandoned
   * versions: their rounds, if reported, are abandoned and reported again once redone.
   */
  const noteStepBack = (peer: string, round: number) => {
    const last = lastAdopted.get(peer);
    lastAdopted.set(peer, round);
    if (last === undefined || round >= last) return;
    for (let r = round + 1; r <= last; r++) {
      adopted.get(r)?.heads.delete(peer);
      adopted.get(r)?.passed.delete(peer);
      if (!reported.delete(r)) continue;
      const at = rounds.findIndex((record) => record.round === r);
      if (at >= 0) abandonedRounds.push(...rounds.splice(at, 1));
    }
  };

  const onEvent = (peer: string) => (event: PeerEvent) => {
    if (event.type === 'log') logs.push({ peer, level: event.level, message: event.message });
    if (event.type !== 'adopted') return;
    noteStepBack(peer, event.head.round);
    if (reported.has(event.head.round)) return;
    const entry = adopted.get(event.head.round) ?? { heads: new Map<string, Head>(), passed: new Set<string>(), time: 0 };
    entry.heads.set(peer, event.head);
    entry.passed.delete(peer);
    entry.time = clock.now();
    adopted.set(event.head.round, entry);
    checkComplete(event.head.round);
    // A peer that caught up over earlier rounds will never adopt their versions: they need not wait for it.
    for (const [round, earlier] of adopted) {
      if (round < event.head.round && !earlier.heads.has(peer) && !earlier.passed.has(peer)) {
        earlier.passed.add(peer);
        checkComplete(round);
      }
    }
  };

  // Each peer's store and learner outlive its runtime: a peer that goes down and comes back
  // resumes from its own checkpoint, as a restarted real peer does.
  const stores = peers.map((peer) => new MemoryStore(pool, task.id, peer));
  const attackers = options.attackers ?? new Map();
  const norms = learning.manifest === undefined ? undefined : new DeltaNorms();
  // Honest peers' deltas are measured for the honest_delta_norm column; attackers keep their own hooks.
  const learners: ArmedLearner[] = armedLearners(learning, peers, task, attackers).map((learner, i) => (norms === undefined || attackers.has(i) ? learner : norms.watch(i, learner)));
  const curatorLiars = [...attackers.values()].some(isCuratorAttack);
  const wireSize = learning.wireSize;
  const crashDraws = new Rng(options.seed).fork('curator-crash');
  /** Rounds whose crash was drawn, and whether it struck. */
  const curatorCrashes = new Map<number, boolean>();
  /** Crashes peer `i` as it begins aggregating `round`, if that round's draw says so. */
  const maybeCrashCurator = (i: number, round: number) => {
    const crash = options.curatorCrash;
    if (crash === undefined || curatorCrashes.has(round)) return;
    const strikes = crashDraws.fork(`round ${round}`).next() < crash.probability;
    curatorCrashes.set(round, strikes);
    if (!strikes) return;
    logs.push({ peer: peers[i]!, level: 'warn', message: `round ${round}: crashes as it begins aggregating (curator failover scenario)` });
    // At once, so the aggregation's result is never handled: the runtime is stopped before it comes back.
    void halt(i);
    scheduler.after(crash.downMs, () => void launch(i));
  };
  const launch = async (i: number) => {
    if (runtimes[i] !== undefined) return;
    const peer = peers[i]!;
    const trainingMs = (learning.samples(i) * task.training.epochs * 1000) / samplesPerSecond;
    network.setOnline(peer, true);
    const runtime = new PeerRuntime({
      engine: createEngine(task, peer, options.presenceIntervalMs ?? DEFAULT_PRESENCE_INTERVAL_MS),
      taskHash: '0'.repeat(64),
      transport: new SimTransport({
        network,
        self: peer,
        signed: true,
        onRejected: (from, reason) => logs.push({ peer, level: 'warn', message: `dropped an advert from ${from}: ${reason}` }),
        blobOf: (hash) => pool.get(hash),
        ...(wireSize === undefined
          ? {}
          : {
              holds: (holder: string, hash: string) => (stores[indexOf.get(holder)!]!.held.has(hash) ? wireSize(pool.get(hash)!) : undefined),
              declaredSize: (hash: string) => {
                const blob = pool.get(hash);
                return blob === undefined ? undefined : wireSize(blob);
              },
            }),
      }),
      clock,
      store: stores[i]!,
      learner: learners[i]!,
      maxBlobBytes: task.timing.maxBlobBytes,
      fetchTimeoutMs: task.timing.curatorDeadlineMs,
      workTime: (effect: Effect) => {
        if (effect.type === 'aggregate') maybeCrashCurator(i, effect.round);
        return effect.type === 'train' || effect.type === 'train-model' ? trainingMs : 0;
      },
      onEvent: onEvent(peer),
    });
    const watch = learners[i]!.watch;
    if (watch !== undefined) runtime.observe((trace) => trace.kind === 'effect' && watch(trace.effect));
    runtimes[i] = runtime;
    onlineCount++;
    await runtime.start();
  };
  const halt = async (i: number) => {
    const runtime = runtimes[i];
    if (runtime === undefined) return;
    runtimes[i] = undefined;
    onlineCount--;
    network.setOnline(peers[i]!, false);
    await runtime.stop();
    for (const round of adopted.keys()) checkComplete(round);
  };
  for (const peer of peers) network.addPeer(peer, { online: false });
  for (const event of options.partitions ?? []) {
    if (event.kind === 'heal') network.heal(event.at);
    else network.partition(event.at, event.groups.map((group) => group.map((i) => peers[i]!)));
  }

  const fraudOf = async () => {
    const honest = peers.flatMap((peer, i) => (attackers.has(i) ? [] : [{ peer, store: stores[i]! }]));
    const forged = new Set(learners.flatMap((learner) => [...(learner.forged ?? [])]));
    const chains = await Promise.all(honest.map(({ store }) => finalChain(store)));
    const adopted = new Set<string>();
    for (const hash of forged) for (const { store } of honest) if ((await store.versions.get(hash)) !== undefined) adopted.add(hash);
    return tallyFraud({ honest: honest.map(({ peer }) => peer), forged, adopted: (hash) => adopted.has(hash), logs, chains });
  };

  const report = async () => {
    const due = pendingReports.sort((a, b) => a - b);
    pendingReports = [];
    for (const round of due) {
      reported.add(round);
      const entry = adopted.get(round)!;
      adopted.delete(round);
      // A malicious curator never convicts itself: it may hold its own forged version (or a merge
      // of it) where every honest peer holds the redone one. Its head is not the federation's.
      const counted = curatorLiars ? [...entry.heads].filter(([peer]) => !attackers.has(indexOf.get(peer)!)) : [...entry.heads];
      const heads = (counted.length > 0 ? counted : [...entry.heads]).map(([, head]) => head);
      const head = heads[0]!;
      const quality = await learning.measure(
        heads.map(({ hash }) => hash),
        (hash) => pool.get(hash)!,
      );
      const honestHeads = [...entry.heads].filter(([peer]) => !attackers.has(indexOf.get(peer)!)).map(([, { hash }]) => hash);
      const honest = task.mode === 'gossip' && attackers.size > 0 && honestHeads.length > 0 ? await learning.measure(honestHeads, (hash) => pool.get(hash)!) : undefined;
      const traffic = peers.map((peer) => network.counters(peer));
      const received = traffic.reduce((sum, c) => sum + c.blobBytesReceived + c.messageBytesReceived, 0);
      const record: SimRound = {
        round,
        time: entry.time,
        hash: head.hash,
        curator: head.curator,
        contributors: head.contributors.map((c) => c.peer),
        ...quality,
        ...(honest === undefined ? {} : { honestAccuracy: honest.peerAccuracy }),
        ...(norms === undefined ? {} : { honestDeltaNorm: norms.take(round) }),
        bytesPerPeer: received / peers.length,
        messages: network.totals.messagesSent,
        failedTransfers: network.totals.transfersFailed,
        ...(options.curatorCrash === undefined ? {} : { curatorCrashed: curatorCrashes.get(round) ?? false }),
      };
      rounds.push(record);
      options.onRound?.(record);
    }
  };

  // With malicious curators, a run goes on for two curator deadlines after its last round, so that
  // the audits of the last rounds conclude.
  const drainMs = curatorLiars ? 2 * task.timing.curatorDeadlineMs : 0;
  let lastRoundAt: number | undefined;
  const finished = () => {
    if (task.stopping.rounds === undefined || (lastRoundAt === undefined && rounds.length < task.stopping.rounds)) return false;
    lastRoundAt ??= scheduler.now;
    return scheduler.now >= lastRoundAt + drainMs;
  };

  try {
    const churn = options.churn;
    for (const [i, peer] of peers.entries()) if (churn === undefined || churn.initiallyOnline(peer)) await launch(i);
    churn?.apply(scheduler, {
      onDown: (peer) => void halt(indexOf.get(peer)!),
      onUp: (peer) => void launch(indexOf.get(peer)!),
    });
    const result = await scheduler.run({
      until: options.maxVirtualMs ?? 3_600_000,
      // Between events, let every continuation run and every training step finish: the only
      // real (not virtual-time) work is on the shared model. Network waits are virtual events.
      settle: async () => {
        await new Promise<void>((resolve) => setImmediate(resolve));
        while (learning.busy) {
          await learning.idle();
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        if (pendingReports.length > 0) await report();
      },
      stop: finished,
    });
    const fraud = task.mode === 'curator' ? await fraudOf() : undefined;
    return { rounds, abandonedRounds, ...(fraud === undefined ? {} : { fraud }), peers, events: result.events, virtualMs: scheduler.now, logs };
  } finally {
    await Promise.allSettled(runtimes.map((runtime) => runtime?.stop()));
    learning.dispose();
  }
}
