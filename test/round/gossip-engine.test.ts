import { describe, expect, it } from 'vitest';
import { FakeFederation } from './fake-federation.ts';

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
});
