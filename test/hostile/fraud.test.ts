/**
 * Issue 12's malicious curator on real peers: four real libp2p peers training on real MNIST
 * digits, one of which curates dishonestly — its versions list every contribution it received
 * but hold only its own delta. Its version is valid, signed and entitled, so honest peers adopt
 * it; an auditor recomputes it, publishes a fraud proof, and every honest peer checks the proof,
 * convicts the curator, abandons its version and goes on without it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Learner } from '../../node/peer/learner.ts';
import { hashBytes } from '../../node/store/blobs.ts';
import type { Peer } from '../../node/peer/peer.ts';
import { testFederation, testTask, waitFor, type TestFederation } from '../federation/helpers.ts';

let federation: TestFederation | undefined;
afterEach(async () => {
  await federation?.close();
  federation = undefined;
});

/**
 * Makes `peer` aggregate only its own delta when it curates, while listing every offered one as
 * aggregated; with `auditsHonestly`, its audits (the same learner call) recompute honestly.
 */
function dropOthers(peer: Peer, auditsHonestly: boolean): void {
  const { learner, runtime, id } = peer;
  const honest = learner.aggregate.bind(learner);
  /** The deltas of the rounds this peer aggregates as curator (an audit's are another round's). */
  const curating = new Set<string>();
  runtime.observe((trace) => {
    if (trace.kind === 'effect' && trace.effect.type === 'aggregate') for (const d of trace.effect.deltas) curating.add(d.advert.delta);
  });
  learner.aggregate = (base: Uint8Array, offered: Parameters<Learner['aggregate']>[1]) => {
    if (auditsHonestly && !offered.some((d) => curating.has(hashBytes(d.blob)))) return honest(base, offered);
    return { ...honest(base, offered.filter((d) => d.from === id)), accepted: offered, rejected: [] };
  };
}

describe('a curator whose version does not recompute', () => {
  it('is proven by a fraud proof within a round, convicted by every honest peer, and the federation goes on', async () => {
    const task = testTask({ cohort: { fraction: 1, minPeers: 4 }, timing: { collectionWindowMs: 1500, curatorDeadlineMs: 3000, maxBlobBytes: 16 * 1024 * 1024 } });
    federation = await testFederation(4, 100, task);
    const world = federation;
    const liar = await world.start(3, { autoStart: false });
    dropOthers(liar, true);
    const honest: Peer[] = [];
    for (let i = 0; i < 3; i++) honest.push(await world.start(i));
    await liar.start();
    const adoptedLie = () => world.events.find(({ peer, event }) => peer !== liar.id && event.type === 'adopted' && event.head.curator === liar.id && event.head.contributors.length > 1);
    await waitFor(world, () => adoptedLie() !== undefined, 90_000, 'an honest peer adopting a version the liar curated');
    const lie = (adoptedLie()!.event as Extract<(typeof world.events)[number]['event'], { type: 'adopted' }>).head;
    const convicted = (peer: string) => world.events.some((e) => e.peer === peer && e.event.type === 'log' && e.event.message.includes(`${liar.id} is proven dishonest`));
    await waitFor(world, () => honest.every((p) => convicted(p.id)), 30_000, 'every honest peer convicting the liar');
    // Within one round: no honest peer had gone two rounds past the lie before convicting it.
    const roundAtConviction = (peer: string) => {
      let round = 0;
      for (const e of world.events) {
        if (e.peer !== peer) continue;
        if (e.event.type === 'adopted') round = Math.max(round, e.event.head.round);
        if (e.event.type === 'log' && e.event.message.includes(`${liar.id} is proven dishonest`)) return round;
      }
      return Infinity;
    };
    for (const p of honest) expect(roundAtConviction(p.id), p.id).toBeLessThanOrEqual(lie.round + 1);

    // The federation goes on without it: three more rounds, none curated by the liar, and no honest
    // head descends from the lie.
    await waitFor(world, () => Math.min(...honest.map((p) => headRound(world, p.id))) >= lie.round + 3, 60_000, 'three more honest rounds');
    for (const p of honest) {
      const checkpoint = (await p.store.checkpoint.load())!;
      const history = await p.store.versions.history(checkpoint.head);
      expect(history.versions.map((v) => v.hash), p.id).not.toContain(lie.hash);
      expect(history.versions.filter((v) => v.round > lie.round && v.curator === liar.id), p.id).toEqual([]);
    }
  });
});

describe('a member whose audits are wrong', () => {
  it('accuses honest curators with false fraud proofs and is convicted by every honest peer, who keep their versions', async () => {
    const task = testTask({ cohort: { fraction: 1, minPeers: 4 }, timing: { collectionWindowMs: 1500, curatorDeadlineMs: 3000, maxBlobBytes: 16 * 1024 * 1024 } });
    federation = await testFederation(4, 100, task);
    const world = federation;
    const accuser = await world.start(3, { autoStart: false });
    dropOthers(accuser, false); // its recomputations leave out every delta but its own
    const honest: Peer[] = [];
    for (let i = 0; i < 3; i++) honest.push(await world.start(i));
    await accuser.start();
    const convicted = (peer: string) => world.events.some((e) => e.peer === peer && e.event.type === 'log' && e.event.message.includes(`${accuser.id} is proven dishonest`));
    await waitFor(world, () => honest.every((p) => convicted(p.id)), 60_000, 'every honest peer convicting the false accuser');
    const reasons = world.events.filter((e) => honest.some((p) => p.id === e.peer) && e.event.type === 'log' && e.event.message.includes(`${accuser.id} is proven dishonest`));
    for (const { event } of reasons) expect(event.type === 'log' && event.message).toMatch(/it accused version \w+ \(round \d+\), which recomputes exactly/);
    // No honest peer convicted another honest one or abandoned a version.
    for (const p of honest) {
      for (const other of honest) expect(world.events.some((e) => e.peer === p.id && e.event.type === 'log' && e.event.message.includes(`${other.id} is proven dishonest`))).toBe(false);
      expect(world.events.some((e) => e.peer === p.id && e.event.type === 'log' && e.event.message.startsWith('abandoning version'))).toBe(false);
    }
    const from = Math.min(...honest.map((p) => headRound(world, p.id)));
    await waitFor(world, () => Math.min(...honest.map((p) => headRound(world, p.id))) >= from + 2, 30_000, 'two more honest rounds');
  });
});

/** The latest round `peer` adopted. */
function headRound(world: TestFederation, peer: string): number {
  let round = 0;
  for (const e of world.events) if (e.peer === peer && e.event.type === 'adopted') round = e.event.head.round;
  return round;
}
