import { describe, expect, it } from 'vitest';
import { curatorRanking, inCohort } from '../../node/round/election.ts';
import { RoundEngine } from '../../node/round/engine.ts';
import { FakeFederation } from './fake-federation.ts';

/** Virtual ms by which every live peer has adopted round `round`. */
function runToRound(world: FakeFederation, round: number, limit = 60_000): void {
  world.runUntil(limit, () => [...world.engines.keys()].filter((p) => !world.down.has(p)).every((p) => (world.headOf(p)?.round ?? 0) >= round));
}

describe('election', () => {
  it('ranks peers the same way everywhere and differently per round and base', () => {
    const peers = ['a', 'b', 'c', 'd', 'e'];
    const ranking = curatorRanking(3, 'ff'.repeat(32), peers);
    expect(curatorRanking(3, 'ff'.repeat(32), [...peers].reverse())).toEqual(ranking);
    expect([...ranking].sort()).toEqual(peers);
    const curators = new Set(Array.from({ length: 20 }, (_, r) => curatorRanking(r, 'ff'.repeat(32), peers)[0]));
    expect(curators.size).toBeGreaterThan(2);
    expect(curatorRanking(3, '00'.repeat(32), peers)).not.toEqual(ranking);
  });

  it('draws cohorts of about the requested fraction, everyone at fraction 1', () => {
    const peers = Array.from({ length: 2000 }, (_, i) => `peer-${i}`);
    const chosen = peers.filter((p) => inCohort(7, 'ab'.repeat(32), p, 0.3)).length;
    expect(chosen / peers.length).toBeGreaterThan(0.26);
    expect(chosen / peers.length).toBeLessThan(0.34);
    expect(peers.every((p) => inCohort(7, 'ab'.repeat(32), p, 1))).toBe(true);
  });
});

describe('round engine (curator mode)', () => {
  it('runs rounds in which every peer contributes and all agree on each version', () => {
    const world = new FakeFederation({ peers: 5 });
    world.startAll();
    runToRound(world, 4);
    const heads = world.peers.map((p) => world.headOf(p)!);
    expect(new Set(heads.map((h) => h.hash)).size).toBe(1);
    expect(heads[0]!.round).toBe(4);
    const byRound = new Map<number, Set<string>>();
    for (const { advert } of world.versions) byRound.set(advert.round, (byRound.get(advert.round) ?? new Set()).add(advert.hash));
    for (let round = 1; round <= 4; round++) expect(byRound.get(round)?.size, `versions for round ${round}`).toBe(1);
    const final = world.versions.find((v) => v.advert.round === 4)!;
    expect(final.advert.contributors.map((c) => c.peer)).toEqual(world.peers);
    // Each round adds the mean delta (1) to the model value.
    expect(world.values.get(heads[0]!.hash)).toBe(4);
    const curators = new Set(world.versions.map((v) => v.from));
    expect(curators.size).toBeGreaterThan(1);
    // The curator of each round is the first of the ranking every peer computed.
    for (const { from, advert } of world.versions) {
      expect(from).toBe(curatorRanking(advert.round, advert.parent, world.peers)[0]);
    }
    // Closing early once every delta is in: rounds take about training time, not the window.
    expect(world.now).toBeLessThan(4 * 400);
  });

  it('keeps expecting every cohort member when rounds are shorter than the presence interval', () => {
    // Rounds take ~120 ms; presence comes every 2 s, so what a peer outside the last cohorts last
    // announced is many rounds old. A round must still wait for every member of its cohort
    // rather than close on those that happened to train (and so announce) recently.
    const world = new FakeFederation({ peers: 12, config: { cohortFraction: 0.4, presenceIntervalMs: 2000, peerTimeoutMs: 6000, collectionWindowMs: 10_000, curatorDeadlineMs: 20_000 } });
    world.startAll();
    runToRound(world, 15);
    const rounds = world.versions.filter((v) => v.advert.round >= 2);
    expect(rounds.length).toBeGreaterThanOrEqual(14);
    for (const { advert } of rounds) {
      const cohort = world.peers.filter((peer) => inCohort(advert.round, advert.parent, peer, 0.4));
      expect(advert.contributors.map((c) => c.peer), `round ${advert.round}`).toEqual(cohort);
    }
    // ...and still closes early: 15 rounds well inside one collection window each.
    expect(world.now).toBeLessThan(15 * 1000);
  });

  it('does not aggregate its round while it pulls a version of a later round (no fork after a restart)', () => {
    const hash = (c: string) => c.repeat(64);
    const engine = new RoundEngine({ self: 'a', task: 't', cohortFraction: 1, minPeers: 1, collectionWindowMs: 1000, curatorDeadlineMs: 2000, presenceIntervalMs: 500, peerTimeoutMs: 1500 });
    engine.handle({ type: 'start', now: 0, head: { round: 2, hash: hash('2'), parent: hash('1'), contributors: [], merged: [], curator: 'a', bytes: 1 } });
    engine.handle({ type: 'trained', now: 50, round: 3, base: hash('2'), delta: hash('d'), bytes: 1, samples: 10, metrics: { loss: 1, accuracy: 0.5 } });
    const pull = engine.handle({ type: 'advert', now: 100, from: 'b', advert: { kind: 'presence', task: 't', round: 5, head: hash('5'), age: 0, sentAt: 100 } });
    expect(pull.some((e) => e.type === 'fetch-version' && e.hash === hash('5'))).toBe(true);
    // Every slot is open by 5 s; while the round-5 pull is pending, no aggregation.
    expect(engine.handle({ type: 'timer', now: 5000, timer: 'curate' }).some((e) => e.type === 'aggregate')).toBe(false);
    // The pull fails: nothing better is coming, so the round goes on with the delta held.
    expect(engine.handle({ type: 'fetch-failed', now: 5100, hash: hash('5'), reason: 'gone' }).some((e) => e.type === 'aggregate')).toBe(true);
  });

  it('never stalls on an empty cohort: when its slot opens with no delta, the curator trains one itself', () => {
    // With a fraction this small no peer is ever in the cohort.
    const world = new FakeFederation({ peers: 5, config: { cohortFraction: 1e-12 } });
    world.startAll();
    runToRound(world, 3);
    const versions = [...world.versions].sort((a, b) => a.advert.round - b.advert.round);
    expect(versions.map((v) => v.advert.round)).toEqual([1, 2, 3]);
    for (const { from, advert } of versions) expect(advert.contributors.map((c) => c.peer)).toEqual([from]);
    // Round 1 is curated by the first of all peers; from then on only peers a recent version lists
    // may curate (§7.4): with nobody ever in the cohort, that is round 1's curator.
    expect(versions[0]!.from).toBe(curatorRanking(1, versions[0]!.advert.parent, world.peers)[0]);
    for (const { from } of versions.slice(1)) expect(from).toBe(versions[0]!.from);
  });

  it('lets the first standby finish a round whose curator crashed', () => {
    const world = new FakeFederation({ peers: 5 });
    world.startAll();
    runToRound(world, 1);
    const head = world.headOf(world.peers[0]!)!;
    const [curator, standby] = curatorRanking(2, head.hash, world.peers);
    world.crash(curator!);
    runToRound(world, 2);
    const round2 = world.versions.filter((v) => v.advert.round === 2);
    expect(round2).toHaveLength(1);
    expect(round2[0]!.from).toBe(standby);
    expect(round2[0]!.advert.contributors.map((c) => c.peer)).not.toContain(curator);
    expect(round2[0]!.advert.contributors).toHaveLength(4);
    for (const peer of world.peers.filter((p) => p !== curator)) expect(world.headOf(peer)!.round).toBe(2);
  });

  // minPeers above the peer count: no early close, so every round lasts its collection window and
  // a side without the curator waits for its best standby's slot.
  it('merges the two versions a partition produced, losing no contribution', () => {
    const world = new FakeFederation({ peers: 6, config: { minPeers: 10 } });
    world.startAll();
    runToRound(world, 1);
    const ranking = curatorRanking(2, world.headOf(world.peers[0]!)!.hash, world.peers);
    // The curator's side and standby 1's side both finish round 2 before either finishes round 3.
    world.partition(ranking.filter((_, i) => i % 2 === 0), ranking.filter((_, i) => i % 2 === 1));
    const round2Versions = () => new Set(world.versions.filter((v) => v.advert.round === 2 && v.advert.merged.length === 0).map((v) => v.advert.hash));
    world.runUntil(60_000, () => round2Versions().size === 2);
    expect(round2Versions().size).toBe(2);
    world.heal();
    const merged = () => world.peers.map((p) => world.headOf(p)!).find((h) => h.merged.length > 0);
    world.runUntil(world.now + 5000, () => merged() !== undefined);
    const head = merged()!;
    expect(head.round).toBe(2);
    expect([...head.merged]).toEqual([...round2Versions()].sort());
    expect(head.contributors.map((c) => c.peer).sort()).toEqual(world.peers);
    // Both branches added 1 from the same parent: their sample-weighted merge is 2.
    expect(world.values.get(head.hash)).toBe(2);
    runToRound(world, 3);
    for (const peer of world.peers) expect(world.headOf(peer)!.round).toBeGreaterThanOrEqual(3);
    const round3 = world.versions.filter((v) => v.advert.round === 3);
    expect(round3).toHaveLength(1);
    expect(round3[0]!.advert.parent).toBe(head.hash);
    expect(round3[0]!.advert.contributors).toHaveLength(6);
  });

  it('says loudly which contributions a longer branch superseded', () => {
    const world = new FakeFederation({ peers: 6, config: { minPeers: 10 } });
    world.startAll();
    runToRound(world, 1);
    const ranking = curatorRanking(2, world.headOf(world.peers[0]!)!.hash, world.peers);
    // Standby 3's side finishes round 2 only after the curator's side has finished round 3.
    const [left, right] = [ranking.slice(0, 3), ranking.slice(3)];
    world.partition(left, right);
    const roundOf = (group: string[]) => Math.min(...group.map((p) => world.headOf(p)!.round));
    world.runUntil(60_000, () => Math.abs(roundOf(left) - roundOf(right)) >= 1 && Math.min(roundOf(left), roundOf(right)) >= 2);
    const behind = roundOf(left) < roundOf(right) ? left : right;
    const abandoned = world.headOf(behind[0]!)!;
    world.heal();
    world.runUntil(world.now + 5000, () => new Set(world.peers.map((p) => world.headOf(p)!.hash)).size === 1);
    const warnings = world.logs.filter((l) => l.level === 'warn' && l.message.includes(`version ${abandoned.hash.slice(0, 12)}`));
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]!.message).toContain(`contributors ${abandoned.contributors.map((c) => c.peer).join(', ')}`);
  });

  it('brings a late joiner up to date and into the next round', () => {
    const world = new FakeFederation({ peers: 5 });
    const [late, ...early] = world.peers;
    for (const peer of early) world.start(peer);
    runToRound(world, 3);
    world.start(late!);
    world.runUntil(world.now + 5000, () => (world.headOf(late!)?.round ?? 0) >= 5);
    expect(world.headOf(late!)!.round).toBeGreaterThanOrEqual(5);
    const joined = world.versions.filter((v) => v.advert.contributors.some((c) => c.peer === late));
    expect(joined.length).toBeGreaterThan(0);
  });

  it('trains only the cohort when the fraction is below one', () => {
    const world = new FakeFederation({ peers: 12, config: { cohortFraction: 0.5 } });
    world.startAll();
    runToRound(world, 3);
    for (const { advert } of world.versions) {
      const expected = world.peers.filter((p) => inCohort(advert.round, advert.parent, p, 0.5));
      expect(advert.contributors.map((c) => c.peer)).toEqual(expected);
    }
  });

  it('stops training once a version reports the target accuracy', () => {
    const world = new FakeFederation({ peers: 3, config: { targetAccuracy: 0.3 } });
    world.startAll();
    world.runUntil(20_000);
    expect(world.peers.map((p) => world.headOf(p)!.round)).toEqual([3, 3, 3]);
    const last = world.versions.find((v) => v.advert.round === 3)!;
    expect(last.advert.metrics?.accuracy).toBeCloseTo(0.3, 10);
    expect(world.peers.map((p) => world.headOf(p)!.metrics?.accuracy)).toEqual([last.advert.metrics!.accuracy, last.advert.metrics!.accuracy, last.advert.metrics!.accuracy]);
  });

  it('stops training at the round limit', () => {
    const world = new FakeFederation({ peers: 3, config: { maxRounds: 2 } });
    world.startAll();
    world.runUntil(20_000);
    expect(world.peers.map((p) => world.headOf(p)!.round)).toEqual([2, 2, 2]);
    expect(Math.max(...world.versions.map((v) => v.advert.round))).toBe(2);
  });
});
