/**
 * The round engine against members that misbehave (issue 11): nothing moves on one member's
 * word, a member that does not deliver is not waited for, a blob that is not served or is
 * invalid costs its advertiser, and no flood of adverts grows what a peer keeps.
 */
import { describe, expect, it } from 'vitest';
import { RoundEngine, MAX_KNOWN_VERSIONS, type EngineConfig } from '../../node/round/engine.ts';
import type { Effect, Head } from '../../node/round/events.ts';
import type { VersionAdvert } from '../../protocols/messages.ts';
import { FakeFederation } from './fake-federation.ts';

const hash = (c: string | number) => String(c).padStart(64, '0').slice(-64);
const config: EngineConfig = { self: 'a', task: 't', cohortFraction: 1, minPeers: 2, collectionWindowMs: 1000, curatorDeadlineMs: 2000, presenceIntervalMs: 500, peerTimeoutMs: 1500 };
const head2: Head = { round: 2, hash: hash('2'), parent: hash('1'), contributors: [], merged: [], curator: 'b', bytes: 1 };

/** A version advert; `curator`: the peer it names as its curator (a child is pulled on its curator's own advert). */
function version(round: number, h: string, parent: string, sentAt: number, curator?: string): VersionAdvert {
  return { kind: 'version', task: 't', round, hash: h, parent, bytes: 800_000, contributors: [{ peer: 'm', delta: hash('d'), samples: 1 }], merged: [], sentAt, ...(curator === undefined ? {} : { curator }) };
}

function presence(round: number, head: string, sentAt: number) {
  return { kind: 'presence' as const, task: 't', round, head, age: 0, sentAt };
}

const pulls = (effects: Effect[]) => effects.filter((e) => e.type === 'fetch-version').map((e) => (e as Extract<Effect, { type: 'fetch-version' }>).hash);

/** An engine at round 2 that has heard honest peers b and c and member m. */
function engineAtRound2(extra: Partial<EngineConfig> = {}): RoundEngine {
  const engine = new RoundEngine({ ...config, ...extra });
  engine.handle({ type: 'start', now: 0, head: head2 });
  for (const peer of ['b', 'c', 'm']) engine.handle({ type: 'advert', now: 10, from: peer, advert: presence(2, hash('2'), 10) });
  return engine;
}

function rounds(world: FakeFederation): number[] {
  return world.versions.map((v) => v.advert.round);
}

describe('round engine against misbehaving members', () => {
  it('does not jump to a far round on one member\'s advert; pulls it once a second peer vouches for it', () => {
    const engine = engineAtRound2({ maxRounds: 100 });
    const far = 2 ** 53 - 2;
    const effects = engine.handle({ type: 'advert', now: 100, from: 'm', advert: version(far, hash('f'), hash('e'), 100) });
    expect(pulls(effects)).toEqual([]);
    // Its own presence advert for that head is still one voice.
    expect(pulls(engine.handle({ type: 'advert', now: 150, from: 'm', advert: presence(far, hash('f'), 150) }))).toEqual([]);
    // A child of our head is a chain link: pulled on its advert.
    expect(pulls(engine.handle({ type: 'advert', now: 200, from: 'b', advert: version(3, hash('3'), hash('2'), 200, 'b') }))).toEqual([hash('3')]);
    // An honest peer vouching for the far head makes two voices: it is pulled (issue 12 checks the chain itself).
    engine.handle({ type: 'fetch-failed', now: 250, hash: hash('3'), reason: 'gone' });
    expect(pulls(engine.handle({ type: 'advert', now: 300, from: 'c', advert: presence(far, hash('f'), 300) }))).toEqual([hash('f')]);
  });

  it('catches up on one peer\'s presence when it is the only other live peer', () => {
    const engine = new RoundEngine(config);
    engine.handle({ type: 'start', now: 0, head: head2 });
    expect(pulls(engine.handle({ type: 'advert', now: 10, from: 'b', advert: presence(9, hash('9'), 10) }))).toEqual([hash('9')]);
  });

  it('never pulls an invalid version again and ignores its advertiser for a while', () => {
    const engine = engineAtRound2();
    expect(pulls(engine.handle({ type: 'advert', now: 100, from: 'm', advert: version(3, hash('n'), hash('2'), 100, 'm') }))).toEqual([hash('n')]);
    const failed = engine.handle({ type: 'fetch-failed', now: 150, hash: hash('n'), reason: 'weight 7 of the version is NaN', invalid: true });
    expect(failed.some((e) => e.type === 'log' && e.message.includes('m advertised it'))).toBe(true);
    // Advertised again by an honest peer: still never pulled again.
    expect(pulls(engine.handle({ type: 'advert', now: 200, from: 'b', advert: version(3, hash('n'), hash('2'), 200) }))).toEqual([]);
    // The member's other versions are ignored while it is penalised...
    expect(pulls(engine.handle({ type: 'advert', now: 250, from: 'm', advert: version(3, hash('o'), hash('2'), 250) }))).toEqual([]);
    // ...its deltas too, and it is not expected.
    engine.handle({ type: 'advert', now: 260, from: 'm', advert: { kind: 'delta', task: 't', round: 3, base: hash('2'), delta: hash('md'), bytes: 1, samples: 1, metrics: { loss: 1, accuracy: 0 }, sentAt: 260 } });
    expect(engine.expected(300)).not.toContain('m');
    // An honest curator's version is adopted as usual.
    expect(pulls(engine.handle({ type: 'advert', now: 300, from: 'b', advert: version(3, hash('3'), hash('2'), 300, 'b') }))).toEqual([hash('3')]);
  });

  it('keeps at most two versions per sender per round, and a bounded number in all', () => {
    const engine = engineAtRound2();
    // One member floods versions of our own round (siblings: each would be pulled and merged).
    const merges: Effect[] = [];
    for (let i = 0; i < 1200; i++) merges.push(...engine.handle({ type: 'advert', now: 100 + i, from: 'm', advert: version(2, hash(`s${i}`), hash('1'), 100 + i) }));
    const merge = merges.find((e) => e.type === 'merge') as Extract<Effect, { type: 'merge' }> | undefined;
    expect(merge?.leaves.length ?? 0).toBeLessThanOrEqual(3); // our head + its first two
    expect(engine.knownVersions).toBeLessThanOrEqual(2);
    // Far-future versions from many senders: nothing pulled, and never more than the cap kept.
    const fresh = engineAtRound2();
    let pulled = 0;
    for (let i = 0; i < 3 * MAX_KNOWN_VERSIONS; i++) {
      const from = `flood-${i % 200}`;
      fresh.handle({ type: 'advert', now: 100, from, advert: presence(2, hash('2'), 100) });
      pulled += pulls(fresh.handle({ type: 'advert', now: 100, from, advert: version(1000 + i, hash(`v${i}`), hash(`p${i}`), 100) })).length;
    }
    expect(pulled).toBe(0);
    expect(fresh.knownVersions).toBe(MAX_KNOWN_VERSIONS);
  });

  it('stops waiting for a live member that never trains after the first round it missed', () => {
    const timing = { collectionWindowMs: 2000, curatorDeadlineMs: 1000, presenceIntervalMs: 200, peerTimeoutMs: 1000 };
    const clean = new FakeFederation({ peers: 5, config: timing });
    clean.startAll();
    clean.runUntil(20_000);
    const withIdle = new FakeFederation({ peers: 5, config: timing });
    withIdle.idle.add(withIdle.peers[2]!);
    withIdle.startAll();
    withIdle.runUntil(20_000);
    const cleanRounds = Math.max(...rounds(clean));
    const idleRounds = Math.max(...rounds(withIdle));
    // The first round waits out the window (2 s); later rounds close on the four who deliver.
    expect(idleRounds).toBeGreaterThanOrEqual(0.5 * cleanRounds);
    for (const { advert } of withIdle.versions) expect(advert.contributors).toHaveLength(4);
  });

  it('stops ranking a live member that sends deltas but never curates when its slot comes', () => {
    const timing = { collectionWindowMs: 2000, curatorDeadlineMs: 3000, presenceIntervalMs: 200, peerTimeoutMs: 1000 };
    const run = (lazy: boolean) => {
      const world = new FakeFederation({ peers: 5, config: timing });
      if (lazy) world.lazy.add(world.peers[1]!);
      world.startAll();
      world.runUntil(60_000);
      return world;
    };
    const world = run(true);
    const lazy = world.peers[1]!;
    const total = Math.max(...rounds(world));
    expect(world.versions.some((v) => v.advert.curator === lazy)).toBe(false);
    // Each time it ranks first the round waits for standby 1's slot (5 s); then it is not ranked for
    // 2, 4, 8… rounds: over R rounds it stalls at most about log2(R) times (+1 for the first).
    const stalls = world.logs.filter((l) => l.peer === world.peers[0] && l.message.includes(`${lazy} was live in its curation slot and made no version`));
    expect(stalls.length).toBeGreaterThan(0);
    expect(stalls.length).toBeLessThanOrEqual(Math.ceil(Math.log2(total)) + 1);
    expect(total).toBeGreaterThan(0.2 * Math.max(...rounds(run(false))));
    // Its deltas still count: it is only not ranked.
    expect(world.versions.filter((v) => v.advert.contributors.some((c) => c.peer === lazy)).length).toBeGreaterThan(world.versions.length / 2);
  });

  it('never ranks a member none of whose deltas is ever aggregated: it cannot hold a round for a curator deadline', () => {
    const timing = { collectionWindowMs: 2000, curatorDeadlineMs: 3000, presenceIntervalMs: 200, peerTimeoutMs: 1000 };
    const run = (attacker: boolean) => {
      const world = new FakeFederation({ peers: 5, config: timing });
      if (attacker) {
        // Trains and advertises its deltas every round, never serves them, never curates.
        world.ghosts.add(world.peers[1]!);
        world.lazy.add(world.peers[1]!);
      }
      world.startAll();
      world.runUntil(60_000);
      return world;
    };
    const world = run(true);
    const attacker = world.peers[1]!;
    // Round 1 starts from genesis, where nobody has delivered yet and every peer may curate; from
    // round 2 on only peers a version lists may, so it is never skipped in a slot (§7.4).
    const skipped = world.logs.filter((l) => l.message.includes(`${attacker} was live in its curation slot and made no version`));
    expect(skipped.map((l) => Number(/^round (\d+)/.exec(l.message)![1])).filter((round) => round > 1)).toEqual([]);
    expect(world.versions.some((v) => v.advert.contributors.some((c) => c.peer === attacker))).toBe(false);
    expect(Math.max(...rounds(world))).toBeGreaterThan(0.8 * Math.max(...rounds(run(false))));
  });

  it('leaves out, for doubling stretches, a member whose deltas are advertised and never served', () => {
    const world = new FakeFederation({ peers: 5, config: { collectionWindowMs: 2000, curatorDeadlineMs: 1000, presenceIntervalMs: 200, peerTimeoutMs: 1000 } });
    const ghost = world.peers[3]!;
    world.ghosts.add(ghost);
    world.startAll();
    world.runUntil(60_000, () => Math.min(...world.peers.map((p) => world.headOf(p)!.round)) >= 20);
    // Each peer learns only from its own pulls; for each, the penalty doubles with every offence:
    // the rounds in which it offered the ghost's delta again are ever further apart.
    const offered = new Map<string, number[]>();
    for (const l of world.logs.filter((l) => l.peer !== ghost && l.message.includes(`from ${ghost}: could not pull it`))) {
      offered.set(l.peer, [...(offered.get(l.peer) ?? []), Number(/round (\d+)/.exec(l.message)![1])]);
    }
    expect(offered.size).toBeGreaterThan(0);
    for (const [peer, list] of offered) {
      const gaps = list.slice(1).map((r, i) => r - list[i]!);
      gaps.forEach((gap, i) => expect(gap, `${peer} offered it in rounds ${list.join(', ')}`).toBeGreaterThan(2 ** (i + 1)));
    }
    for (const { advert } of world.versions) expect(advert.contributors.map((c) => c.peer)).not.toContain(ghost);
  });

  describe('a delta cut from an aggregation as a straggler', () => {
    const deltaFrom = (round: number, delta: string, now: number) => ({ kind: 'delta' as const, task: 't', round, base: hash(String(round - 1)), delta: hash(delta), bytes: 1, samples: 1, metrics: { loss: 1, accuracy: 0 }, sentAt: now });
    const aggregations = (effects: Effect[]) => effects.filter((e) => e.type === 'aggregate') as Extract<Effect, { type: 'aggregate' }>[];
    /** Every slot of the round that started at `startedAt` is open by then. */
    const allSlotsOpen = (startedAt: number) => startedAt + config.collectionWindowMs + 4 * config.curatorDeadlineMs + 1;

    /** Round 3 aggregated with b's delta, m's cut as a straggler; b and m then send deltas for round 4. */
    function afterCut(): RoundEngine {
      const engine = engineAtRound2();
      engine.handle({ type: 'advert', now: 20, from: 'b', advert: deltaFrom(3, 'b3', 20) });
      engine.handle({ type: 'advert', now: 20, from: 'm', advert: deltaFrom(3, 'm3', 20) });
      const [aggregate] = aggregations(engine.handle({ type: 'timer', now: allSlotsOpen(0), timer: 'curate' }));
      expect(aggregate!.deltas.map((d) => d.from)).toEqual(['b', 'm']);
      expect(aggregate!.graceMs).toBe(config.collectionWindowMs / 16);
      const cut = engine.handle({
        type: 'aggregated', now: 10_000, round: 3, base: hash('2'), version: hash('3'), bytes: 1,
        contributors: [{ peer: 'b', delta: hash('b3'), samples: 1 }], rejected: [], late: [{ peer: 'm', delta: hash('m3'), reason: 'still being pulled' }],
      });
      expect(cut.some((e) => e.type === 'log' && e.message.includes(`the delta ${hash('m3').slice(0, 12)} from m misses the round`))).toBe(true);
      expect(cut.some((e) => e.type === 'log' && e.message.includes('m is left out'))).toBe(false);
      engine.handle({ type: 'advert', now: 10_010, from: 'b', advert: deltaFrom(4, 'b4', 10_010) });
      engine.handle({ type: 'advert', now: 10_010, from: 'm', advert: deltaFrom(4, 'm4', 10_010) });
      return engine;
    }

    it('holds back its sender\'s next delta while the pull goes on, and penalises the sender when it fails', () => {
      const engine = afterCut();
      const next = engine.handle({ type: 'timer', now: allSlotsOpen(10_000), timer: 'curate' });
      expect(aggregations(next)[0]!.deltas.map((d) => d.from)).toEqual(['b']);
      expect(next.some((e) => e.type === 'log' && e.message.includes('1 held back'))).toBe(true);
      const failed = engine.handle({ type: 'late-delta', now: 20_000, round: 3, peer: 'm', delta: hash('m3'), failure: 'could not pull it: m stalled' });
      expect(failed.some((e) => e.type === 'log' && e.message.includes('m is left out of rounds up to'))).toBe(true);
      engine.handle({ type: 'advert', now: 20_010, from: 'm', advert: deltaFrom(4, 'm4b', 20_010) });
      expect(engine.expected(20_020)).not.toContain('m');
    });

    it('offers its sender\'s deltas again, unpenalised, once the pull arrives late', () => {
      const engine = afterCut();
      const arrived = engine.handle({ type: 'late-delta', now: 10_020, round: 3, peer: 'm', delta: hash('m3') });
      expect(arrived.some((e) => e.type === 'log' && e.message.includes('arrived after its round was aggregated'))).toBe(true);
      expect(arrived.some((e) => e.type === 'log' && e.message.includes('left out'))).toBe(false);
      const next = engine.handle({ type: 'timer', now: allSlotsOpen(10_000), timer: 'curate' });
      expect(aggregations(next)[0]!.deltas.map((d) => d.from)).toEqual(['b', 'm']);
    });
  });

  it('announces an open delta again well inside the collection window', () => {
    const engine = new RoundEngine({ ...config, collectionWindowMs: 4000, presenceIntervalMs: 2000, peerTimeoutMs: 6000 });
    engine.handle({ type: 'start', now: 0, head: head2 });
    engine.handle({ type: 'advert', now: 10, from: 'b', advert: presence(2, hash('2'), 10) });
    engine.handle({ type: 'trained', now: 100, round: 3, base: hash('2'), delta: hash('d'), bytes: 1, samples: 1, metrics: { loss: 1, accuracy: 0 } });
    // With presence every 2 s the old rule (3 intervals: 6 s) re-announced after the 4 s window had closed.
    const at2100 = engine.handle({ type: 'timer', now: 2100, timer: 'presence' });
    expect(at2100.some((e) => e.type === 'publish' && e.advert.kind === 'delta')).toBe(true);
  });

  it('records the curator a version advert names, not the peer that re-published it', () => {
    const engine = engineAtRound2();
    const republished = version(3, hash('3'), hash('2'), 100, 'b');
    // Re-published by c: one voice, not its curator's own advert; b's presence on it makes two.
    expect(pulls(engine.handle({ type: 'advert', now: 100, from: 'c', advert: republished }))).toEqual([]);
    expect(pulls(engine.handle({ type: 'advert', now: 120, from: 'b', advert: presence(3, hash('3'), 120) }))).toEqual([hash('3')]);
    const adopted = engine.handle({ type: 'fetched', now: 150, hash: hash('3') }).find((e) => e.type === 'adopt') as Extract<Effect, { type: 'adopt' }>;
    expect(adopted.head.curator).toBe('b');
  });

  it('waits for the slot that entitles a curator before pulling its version, and records the entitled curator of a re-published one', () => {
    // b curated round 2 from c's and d's deltas: b, c, d are proven for round 3; m and we are not.
    const engine = new RoundEngine(config);
    engine.handle({ type: 'start', now: 0, head: { ...head2, contributors: [{ peer: 'c', delta: hash('dc'), samples: 1 }, { peer: 'd', delta: hash('dd'), samples: 1 }] } });
    for (const peer of ['b', 'c', 'd', 'm']) engine.handle({ type: 'advert', now: 10, from: peer, advert: presence(2, hash('2'), 10) });
    const keepLive = (now: number) => { for (const peer of ['b', 'c', 'd', 'm']) engine.handle({ type: 'advert', now, from: peer, advert: presence(2, hash('2'), now) }); };
    // Slot k opens at 1000 + 2000·k. Unproven, m ranks after b, c and d (rank 3): entitled from slot 2 (5 s).
    keepLive(2900);
    expect(pulls(engine.handle({ type: 'advert', now: 3000, from: 'm', advert: version(3, hash('3'), hash('2'), 3000, 'm') }))).toEqual([]);
    expect(pulls(engine.handle({ type: 'advert', now: 3010, from: 'm', advert: version(3, hash('y'), hash('2'), 3010, 'm') }))).toEqual([]);
    // b publishes the same version as its own: b ranks at most 2, entitled once slot 1 opened (3 s).
    expect(pulls(engine.handle({ type: 'advert', now: 3100, from: 'b', advert: version(3, hash('3'), hash('2'), 3100, 'b') }))).toEqual([hash('3')]);
    const adopted = engine.handle({ type: 'fetched', now: 3200, hash: hash('3') }).find((e) => e.type === 'adopt') as Extract<Effect, { type: 'adopt' }>;
    expect(adopted.head.curator).toBe('b');
  });

  it('pulls a version deferred for its curator\'s slot once that slot opens', () => {
    const engine = new RoundEngine(config);
    engine.handle({ type: 'start', now: 0, head: { ...head2, contributors: [{ peer: 'c', delta: hash('dc'), samples: 1 }, { peer: 'd', delta: hash('dd'), samples: 1 }] } });
    const keepLive = (now: number) => { for (const peer of ['b', 'c', 'd', 'm']) engine.handle({ type: 'advert', now, from: peer, advert: presence(2, hash('2'), now) }); };
    keepLive(10);
    expect(pulls(engine.handle({ type: 'advert', now: 100, from: 'm', advert: version(3, hash('y'), hash('2'), 100, 'm') }))).toEqual([]);
    keepLive(2900);
    expect(pulls(engine.handle({ type: 'timer', now: 3001, timer: 'curate' }))).toEqual([]);
    keepLive(4900);
    expect(pulls(engine.handle({ type: 'timer', now: 5001, timer: 'curate' }))).toEqual([hash('y')]);
  });

  it('publishes its head\'s advert again for a peer that joined after the head and announces it (it may lack its provenance)', () => {
    const engine = new RoundEngine(config);
    const ours: Head = { ...head2, curator: 'a' }; // this peer made the head
    const republished = (effects: Effect[]) => effects.filter((e) => e.type === 'publish' && e.advert.kind === 'version').length;
    // c was live before the head: its presence with the head is routine.
    engine.handle({ type: 'advert', now: 0, from: 'c', advert: presence(1, hash('1'), 0) });
    engine.handle({ type: 'start', now: 100, head: ours });
    expect(republished(engine.handle({ type: 'advert', now: 600, from: 'c', advert: presence(2, hash('2'), 600) }))).toBe(0);
    // b joins at 1 s, caught up to our head from presence alone: it hears the advert once.
    expect(republished(engine.handle({ type: 'advert', now: 1000, from: 'b', advert: presence(2, hash('2'), 1000) }))).toBe(1);
    expect(republished(engine.handle({ type: 'advert', now: 1500, from: 'b', advert: presence(2, hash('2'), 1500) }))).toBe(0);
    // A peer that did not make the head leaves it to its curator.
    const other = new RoundEngine(config);
    other.handle({ type: 'start', now: 0, head: head2 });
    expect(republished(other.handle({ type: 'advert', now: 10_000, from: 'd', advert: presence(2, hash('2'), 10_000) }))).toBe(0);
  });
});
