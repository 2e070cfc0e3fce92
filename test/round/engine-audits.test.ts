/**
 * Audits and fraud proofs in the round engine (PROTOCOL §7.15), in the fake federation where a
 * version's value is the exact sum of its parent and deltas: a curator whose version does not
 * recompute is convicted by every honest peer, its version is abandoned and the federation goes
 * on; a peer that accuses an honest version is convicted instead.
 */
import { describe, expect, it } from 'vitest';
import type { FraudAdvert, VersionAdvert } from '../../protocols/messages.ts';
import type { RoundEngine } from '../../node/round/engine.ts';
import { FakeFederation } from './fake-federation.ts';

const timing = { collectionWindowMs: 1000, curatorDeadlineMs: 2000, presenceIntervalMs: 200, peerTimeoutMs: 1000 };

/** Every delta of the fake world is worth 1, so an honest chain's version of round r is worth r. */
const honestValue = (world: FakeFederation, peer: string) => {
  const head = world.headOf(peer)!;
  return Math.abs(world.values.get(head.hash)! - head.round) < 1e-6;
};

describe('audits and fraud proofs', () => {
  it('convicts a curator whose version does not recompute, abandons it everywhere and goes on', () => {
    const world = new FakeFederation({ peers: 6, config: timing });
    const liar = world.peers[2]!;
    world.liars.add(liar);
    world.startAll();
    world.runUntil(40_000);
    const honest = world.peers.filter((p) => p !== liar);
    const lies = world.versions.filter((v) => v.from === liar && v.advert.curator === liar);
    expect(lies.length).toBeGreaterThan(0);
    // Proven by an auditor (its own audit), then checked by every other honest peer.
    const fraud = world.logs.filter((l) => l.message.includes(`${liar} is proven dishonest`));
    expect(new Set(fraud.map((l) => l.peer))).toEqual(new Set(honest));
    const firstLie = lies[0]!.advert;
    const audits = world.audits.filter((a) => a.version === firstLie.hash);
    expect(audits.some((a) => a.accusers.length === 0)).toBe(true);
    // Honest peers adopted a lie once at most: convicted, the liar's versions are disowned.
    for (const peer of honest) expect((world.adopted.get(peer) ?? []).filter((h) => h.curator === liar).length, peer).toBeLessThanOrEqual(1);
    // Every honest peer ends on an honest chain, well past the lie.
    for (const peer of honest) {
      expect(honestValue(world, peer), `${peer}'s head`).toBe(true);
      expect(world.headOf(peer)!.round).toBeGreaterThan(firstLie.round + 3);
    }
    // The round the lie was for was curated again by an honest peer.
    const redone = world.versions.filter((v) => v.advert.round === firstLie.round && v.advert.curator !== liar);
    expect(redone.length).toBeGreaterThan(0);
  });

  it('shows the proof again to a peer that restarts on the fraudulent version, which then steps back too', () => {
    const world = new FakeFederation({ peers: 6, config: timing });
    const liar = world.peers[2]!;
    const late = world.peers[5]!;
    world.liars.add(liar);
    world.startAll();
    const lieOf = (peer: string) => (world.adopted.get(peer) ?? []).find((h) => h.curator === liar);
    world.runUntil(40_000, () => lieOf(late) !== undefined);
    const lie = lieOf(late)!;
    world.crash(late); // at once: before any proof reaches it
    world.runUntil(world.now + 3_000);
    world.start(late, lie); // restarted from its checkpoint, the lie, knowing no conviction
    world.runUntil(world.now + 5_000);
    expect(world.logs.some((l) => l.peer !== late && l.message.includes(`${late} is still on version ${lie.hash.slice(0, 12)}`))).toBe(true);
    expect(world.logs.some((l) => l.peer === late && l.message.includes(`${liar} is proven dishonest`))).toBe(true);
    expect(honestValue(world, late)).toBe(true);
    expect(world.headOf(late)!.round).toBeGreaterThan(lie.round);
  });

  it('reopens the last round when its version is proven fraudulent, and finishes on an honest one', () => {
    const run = (maxRounds?: number) => {
      const world = new FakeFederation({ peers: 6, config: { ...timing, ...(maxRounds === undefined ? {} : { maxRounds }) } });
      world.liars.add(world.peers[2]!);
      world.startAll();
      world.runUntil(40_000);
      return world;
    };
    // The same world runs the same way up to its last round: find the liar's first forged round, then stop there.
    const lastRound = run().versions.find((v) => v.advert.curator === 'peer-02')!.advert.round;
    const world = run(lastRound);
    for (const peer of world.peers.filter((p) => p !== 'peer-02')) {
      const head = world.headOf(peer)!;
      expect(head.round, peer).toBe(lastRound);
      expect(head.curator, peer).not.toBe('peer-02');
      expect(honestValue(world, peer), peer).toBe(true);
    }
  });

  it('records each conviction for the store, and a restarted engine given them neither waits for nor ranks the convicted', () => {
    const world = new FakeFederation({ peers: 6, config: timing });
    const liar = world.peers[2]!;
    world.liars.add(liar);
    world.startAll();
    world.runUntil(20_000);
    const honest = world.peers.filter((p) => p !== liar);
    expect(new Set(world.convictions.filter((c) => c.convicted === liar).map((c) => c.peer))).toEqual(new Set(honest));
    // Restarted from its head with the convictions its store kept: the liar is live but never expected or ranked.
    const peer = honest[0]!;
    world.crash(peer);
    world.start(peer, world.headOf(peer)!, [liar]);
    world.runUntil(world.now + 5_000);
    const engine = world.engines.get(peer) as RoundEngine;
    expect(engine.livePeers(world.now)).toContain(liar);
    expect(engine.expected(world.now)).not.toContain(liar);
    expect((world.adopted.get(peer) ?? []).filter((h) => h.curator === liar && h.round > world.headOf(peer)!.round - 5)).toEqual([]);
  });

  it('does not recompute an accused version far behind the head, nor the same accusation twice', () => {
    const world = new FakeFederation({ peers: 5, config: timing });
    world.startAll();
    world.runUntil(6_000);
    const accuser = world.peers[4]!;
    const curated = world.versions.filter((v) => v.advert.curator !== accuser && v.advert.curator !== undefined);
    const accuse = (target: VersionAdvert): FraudAdvert => {
      const { kind: _k, task: _t, sentAt: _s, metrics: _m, ...claim } = target;
      return { kind: 'fraud', task: 'test-task', round: target.round, version: claim, recomputed: '9'.repeat(64), sentAt: world.now };
    };
    const old = curated[0]!.advert;
    // A peer that has no verdict on round 1's version (it neither audited nor curated it).
    const receiver = world.peers.find((p) => p !== accuser && p !== old.curator && !world.audits.some((a) => a.peer === p && a.version === old.hash))!;
    const auditsBefore = world.audits.length;
    // Round 1 is many rounds behind the head: the accusation is not even checked, and convicts no one.
    world.deliver(receiver, { type: 'advert', now: world.now, from: accuser, advert: accuse(old) });
    world.runUntil(world.now + 500);
    expect(world.convictions.filter((c) => c.peer === receiver)).toEqual([]);
    // The latest version, accused 50 times: checked once.
    for (let i = 0; i < 50; i++) world.deliver(receiver, { type: 'advert', now: world.now, from: accuser, advert: accuse(curated.at(-1)!.advert) });
    world.runUntil(world.now + 2_000);
    // At most one recomputation for the 50 (none when the receiver had audited that version itself), none for round 1.
    const checks = world.audits.filter((a) => a.peer === receiver && a.accusers.length > 0);
    expect(checks.length).toBeLessThanOrEqual(1);
    for (const check of checks) expect(check.version).toBe(curated.at(-1)!.advert.hash);
    expect(world.audits.slice(auditsBefore).some((a) => a.peer === receiver && a.version === old.hash)).toBe(false);
    expect(world.convictions.filter((c) => c.peer === receiver)).toEqual([{ peer: receiver, convicted: accuser }]);
  });

  it('convicts a peer that accuses an honest version, and keeps the version', () => {
    const world = new FakeFederation({ peers: 5, config: timing });
    world.startAll();
    world.runUntil(6_000);
    const accuser = world.peers[4]!;
    // The latest version: an accusation about one more than a few rounds old is not checked.
    const target = world.versions.filter((v) => v.advert.curator !== accuser && v.advert.curator !== undefined).at(-1)!.advert;
    const { kind: _k, task: _t, sentAt: _s, metrics: _m, ...claim } = target;
    const accusation: FraudAdvert = { kind: 'fraud', task: 'test-task', round: target.round, version: claim, recomputed: '9'.repeat(64), sentAt: world.now };
    for (const peer of world.peers) {
      if (peer !== accuser) world.deliver(peer, { type: 'advert', now: world.now, from: accuser, advert: accusation });
    }
    world.runUntil(12_000);
    const others = world.peers.filter((p) => p !== accuser);
    for (const peer of others) {
      expect(world.logs.some((l) => l.peer === peer && l.message.includes(`${accuser} is proven dishonest`)), peer).toBe(true);
      expect(honestValue(world, peer)).toBe(true);
      expect(world.headOf(peer)!.round).toBeGreaterThan(target.round);
    }
    // It may go on training, and on curating by its own lights, but no honest peer adopts its versions.
    for (const peer of others) expect((world.adopted.get(peer) ?? []).filter((h) => h.curator === accuser && h.round > target.round + 1), peer).toEqual([]);
  });
});
