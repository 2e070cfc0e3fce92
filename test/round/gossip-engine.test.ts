import { describe, expect, it } from 'vitest';
import type { Effect } from '../../node/round/events.ts';
import { GossipEngine } from '../../node/round/gossip-engine.ts';
import { FakeFederation } from './fake-federation.ts';

const hex = (c: string) => c.repeat(64);

/** An engine with head `a…` (round 3, age 10) that has heard presence from peers p1..p5. */
function engineHearingFive(neighbours: number): GossipEngine {
  const engine = new GossipEngine({ self: 'p0', task: 't', gossipIntervalMs: 1000, neighbours, presenceIntervalMs: 500, peerTimeoutMs: 1500 });
  engine.handle({ type: 'start', now: 0, head: { round: 3, hash: hex('a'), parent: undefined, contributors: [], merged: [], curator: 'p0', bytes: 1 } });
  engine.handle({ type: 'trained-model', now: 0, round: 3, base: hex('a'), version: hex('a'), bytes: 1, samples: 10 });
  // p4 and p5 announce the same model: one pull, two holders.
  const heads = ['b', 'c', 'd', 'e', 'e'];
  heads.forEach((h, i) => engine.handle({ type: 'advert', now: 100, from: `p${i + 1}`, advert: { kind: 'presence', task: 't', round: 2, head: hex(h), age: 20 + i, sentAt: 100 } }));
  return engine;
}

const ofType = <T extends Effect['type']>(effects: Effect[], type: T) => effects.filter((e): e is Extract<Effect, { type: T }> => e.type === type);

describe('round engine (gossip mode)', () => {
  it('mixes models by age-weighted merges, with no curator', () => {
    // Each peer's local training pulls its model halfway towards its own optimum (its index
    // 0..5). Isolated, the models end up 5 apart; gossiping, they stay much closer together.
    const spreadAfter = (isolated: boolean) => {
      const world = new FakeFederation({ peers: 6, mode: 'gossip', config: { collectionWindowMs: 400 } });
      if (isolated) for (const peer of world.peers) world.partition([peer], world.peers.filter((p) => p !== peer));
      world.startAll();
      world.runUntil(20_000);
      const values = world.peers.map((p) => world.values.get(world.headOf(p)!.hash)!);
      for (const peer of world.peers) expect(world.headOf(peer)!.round).toBeGreaterThan(20);
      expect(world.aggregations).toHaveLength(0);
      expect(world.versions).toHaveLength(0);
      return { spread: Math.max(...values) - Math.min(...values), mean: values.reduce((s, v) => s + v, 0) / values.length };
    };
    const alone = spreadAfter(true);
    const gossiping = spreadAfter(false);
    expect(alone.spread).toBeCloseTo(5, 3);
    expect(gossiping.spread).toBeLessThan(0.7 * alone.spread);
    expect(gossiping.mean).toBeGreaterThan(1.5);
    expect(gossiping.mean).toBeLessThan(3.5);
  });

  it('trains alone when no neighbour is live, and stops at the round limit', () => {
    const world = new FakeFederation({ peers: 1, mode: 'gossip', config: { collectionWindowMs: 400, maxRounds: 5 } });
    world.startAll();
    world.runUntil(20_000);
    const head = world.headOf(world.peers[0]!)!;
    expect(head.round).toBe(5);
    // Five halvings of the distance from 0 towards optimum 0: stays 0.
    expect(world.values.get(head.hash)).toBe(0);
  });

  it('replays identically: same world, same heads', () => {
    const run = () => {
      const world = new FakeFederation({ peers: 5, mode: 'gossip', config: { collectionWindowMs: 300 } });
      world.startAll();
      world.runUntil(5_000);
      return world.peers.map((p) => world.headOf(p)!.hash);
    };
    expect(run()).toEqual(run());
  });

  it('pulls up to `neighbours` distinct neighbours per cycle and merges every model that arrived, weighted by age + 1', () => {
    const engine = engineHearingFive(3);
    const pulls = ofType(engine.handle({ type: 'timer', now: 1000, timer: 'gossip' }), 'fetch-version');
    expect(pulls.length).toBeGreaterThanOrEqual(2);
    expect(pulls.length).toBeLessThanOrEqual(3);
    expect(new Set(pulls.map((p) => p.hash)).size).toBe(pulls.length);
    const holders = pulls.flatMap((p) => p.holders);
    expect(holders).toHaveLength(3);
    expect(new Set(holders).size).toBe(3);
    // The first pull fails, the others arrive (in reverse order): one merge, own model first.
    const [failed, ...arrived] = pulls;
    expect(engine.handle({ type: 'fetch-failed', now: 1100, hash: failed!.hash, reason: 'gone' }).some((e) => e.type === 'merge')).toBe(false);
    let merges: Extract<Effect, { type: 'merge' }>[] = [];
    for (const pull of [...arrived].reverse()) merges = ofType(engine.handle({ type: 'fetched', now: 1200, hash: pull.hash }), 'merge');
    expect(merges).toHaveLength(1);
    const leaves = merges[0]!.leaves;
    expect(leaves.map((l) => l.hash)).toEqual([hex('a'), ...arrived.map((p) => p.hash)]);
    expect(leaves[0]!.samples).toBe(11);
    const ageOf = (hash: string) => 20 + ['b', 'c', 'd', 'e'].indexOf(hash[0]!) + (hash[0] === 'e' ? 1 : 0);
    for (const leaf of leaves.slice(1)) expect(leaf.samples).toBe(ageOf(leaf.hash) + 1);
    expect(engine.age).toBe(Math.max(...leaves.slice(1).map((l) => ageOf(l.hash))));
  });

  it('trains its own model when every pull of the cycle fails, and ignores pull results it did not ask for', () => {
    const engine = engineHearingFive(2);
    const pulls = ofType(engine.handle({ type: 'timer', now: 1000, timer: 'gossip' }), 'fetch-version');
    expect(pulls).toHaveLength(2);
    expect(engine.handle({ type: 'fetched', now: 1050, hash: hex('f') })).toEqual([]);
    expect(ofType(engine.handle({ type: 'fetch-failed', now: 1100, hash: pulls[0]!.hash, reason: 'gone' }), 'train-model')).toHaveLength(0);
    const train = ofType(engine.handle({ type: 'fetch-failed', now: 1100, hash: pulls[1]!.hash, reason: 'gone' }), 'train-model');
    expect(train).toEqual([{ type: 'train-model', round: 4, base: hex('a') }]);
  });

  it('with neighbours = 1 pulls the one neighbour the single-draw rule picks', () => {
    const first = ofType(engineHearingFive(1).handle({ type: 'timer', now: 1000, timer: 'gossip' }), 'fetch-version');
    const firstOfThree = ofType(engineHearingFive(3).handle({ type: 'timer', now: 1000, timer: 'gossip' }), 'fetch-version');
    expect(first).toHaveLength(1);
    expect(firstOfThree[0]!.holders[0]).toBe(first[0]!.holders[0]);
  });
});
