/**
 * Failures in a federation of real peers on loopback: a curator that dies mid-round, a peer
 * joining late, a peer restarting from its checkpoint. Real libp2p hosts, real TF.js training
 * on real MNIST digits, real stores on disk.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Head } from '../../node/round/events.ts';
import { curatorRanking } from '../../node/round/election.ts';
import { testFederation, testTask, waitFor, type TestFederation } from './helpers.ts';

let federation: TestFederation | undefined;

afterEach(async () => {
  await federation?.close();
  federation = undefined;
});

const MiB = 1024 * 1024;

/** Every head `peer` adopted (and checkpointed), in order, from event index `since` on. */
function adopted(world: TestFederation, peer: string, since = 0): Head[] {
  return world.events.slice(since).flatMap(({ peer: who, event }) => (who === peer && event.type === 'adopted' ? [event.head] : []));
}

/** Every head adopted by any peer, from event index `since` on. */
function allAdopted(world: TestFederation, since = 0): { peer: string; head: Head }[] {
  return world.events.slice(since).flatMap(({ peer, event }) => (event.type === 'adopted' ? [{ peer, head: event.head }] : []));
}

describe('failures in a federation of real peers', () => {
  it('a standby completes the round when the curator stops mid-round', async () => {
    // minPeers above the peer count: no curator closes early, so each round's curator aggregates
    // when its collection window ends — leaving time to stop round 2's curator while it collects.
    const task = testTask({
      cohort: { fraction: 1, minPeers: 6 },
      timing: { collectionWindowMs: 3000, curatorDeadlineMs: 4000, maxBlobBytes: 16 * MiB },
    });
    federation = await testFederation(5, 250, task);
    const world = federation;
    for (let i = 0; i < 5; i++) await world.start(i);
    await waitFor(world, () => world.commonRound() >= 1, 30_000, 'every peer at round 1');

    const peers = world.peers;
    const round1 = peers[0]!.runtime.engine.head!;
    expect(round1.round).toBe(1);
    for (const peer of peers) expect(peer.runtime.engine.head!.hash).toBe(round1.hash);
    const ids = peers.map((peer) => peer.id);
    const ranking = curatorRanking(2, round1.hash, ids);
    const curatorIndex = [0, 1, 2, 3, 4].find((i) => world.peer(i)!.id === ranking[0])!;
    expect(allAdopted(world).some(({ head }) => head.round >= 2)).toBe(false); // round 2 still collecting
    const stoppedAt = world.events.length;
    await world.stop(curatorIndex);
    expect(allAdopted(world).some(({ head }) => head.round >= 2)).toBe(false); // stopped before it could curate
    const stopped = ranking[0]!;
    const remaining = ids.filter((id) => id !== stopped).sort();

    await waitFor(world, () => world.commonRound() >= 2, 30_000, 'the 4 remaining peers at round 2');
    // Round 2 is completed by standbys only. Usually standby 1 alone: once the curator's presence
    // times out it is no longer live and standby 1 heads the ranking. But liveness is each peer's
    // local view (PROTOCOL §7.4, §9): with five peers training in one process, a stalled event
    // loop can make a peer miss presence adverts for longer than the 900 ms peer timeout, so
    // another standby may see itself first and aggregate too; same-round siblings are then
    // merged (§7.9). Whatever happened, no round-2 version comes from the stopped curator and
    // every contribution comes from a remaining peer.
    const standbys = ranking.slice(1);
    const round2 = allAdopted(world, stoppedAt).filter(({ head }) => head.round === 2);
    const aggregated = [...new Map(round2.filter(({ head }) => head.merged.length === 0).map(({ head }) => [head.hash, head])).values()];
    const merges = [...new Set(round2.filter(({ head }) => head.merged.length > 0).map(({ head }) => head.hash))];
    expect(aggregated.length).toBeGreaterThan(0);
    for (const version of aggregated) {
      expect(version.parent).toBe(round1.hash);
      expect(version.curator).not.toBe(stopped);
      expect(standbys).toContain(version.curator);
      const contributors = version.contributors.map((c) => c.peer);
      expect(contributors.length).toBeGreaterThan(0);
      expect(contributors).not.toContain(stopped);
      expect(contributors.every((peer) => remaining.includes(peer))).toBe(true);
    }
    for (const { head } of round2.filter(({ head }) => head.merged.length > 0)) {
      expect(head.contributors.every((c) => remaining.includes(c.peer))).toBe(true);
    }
    expect(adopted(world, stopped).some((head) => head.round >= 2)).toBe(false);
    const round2Hashes = new Set(round2.map(({ head }) => head.hash));
    console.log(
      `curator stopped: round 2 aggregated by ${aggregated.map((v) => `standby ${ranking.indexOf(v.curator!)} (${v.contributors.length} deltas)`).join(', ')}` +
        `${merges.length > 0 ? `, ${merges.length} merge(s)` : ''}`,
    );

    // The federation goes on without its former curator, from the round-2 version(s).
    await waitFor(world, () => world.commonRound() >= 3, 30_000, 'the 4 remaining peers at round 3');
    const round3 = allAdopted(world, stoppedAt).filter(({ head }) => head.round === 3 && head.merged.length === 0);
    expect(round3.length).toBeGreaterThan(0);
    for (const { head } of round3) {
      expect(round2Hashes).toContain(head.parent);
      expect(head.contributors.every((c) => remaining.includes(c.peer))).toBe(true);
    }
  });

  it('a late joiner catches up to the current head and contributes to a later round', async () => {
    const task = testTask({
      cohort: { fraction: 1, minPeers: 3 },
      timing: { collectionWindowMs: 3000, curatorDeadlineMs: 4000, maxBlobBytes: 16 * MiB },
    });
    federation = await testFederation(4, 250, task);
    const world = federation;
    for (let i = 0; i < 3; i++) await world.start(i);
    await waitFor(world, () => world.commonRound() >= 2, 40_000, 'three peers at round 2');

    const roundAtJoin = world.commonRound();
    const joinedAt = world.events.length;
    const joiner = await world.start(3);
    const originals = world.peers.filter((peer) => peer.id !== joiner.id).map((peer) => peer.id);
    // Its first adopted head is one the others adopted too, and a current one: it jumped from
    // genesis straight to the federation's head instead of replaying the rounds it missed.
    const sharedHead = (): Head | undefined => {
      const others = new Set(allAdopted(world).filter(({ peer }) => originals.includes(peer)).map(({ head }) => head.hash));
      return adopted(world, joiner.id, joinedAt).find((head) => others.has(head.hash));
    };
    await waitFor(world, () => sharedHead() !== undefined, 30_000, 'the joiner to adopt the head the others hold');
    const first = adopted(world, joiner.id, joinedAt)[0]!;
    expect(first.round).toBeGreaterThanOrEqual(roundAtJoin);
    expect(sharedHead()!.hash).toBe(first.hash);

    // It trains from there, and a later version counts its delta.
    const contributed = () => allAdopted(world, joinedAt).find(({ peer, head }) => originals.includes(peer) && head.contributors.some((c) => c.peer === joiner.id));
    await waitFor(world, () => contributed() !== undefined, 40_000, "a version holding the joiner's delta");
    const version = contributed()!.head;
    expect(version.round).toBeGreaterThan(first.round);
    expect(version.contributors.find((c) => c.peer === joiner.id)!.samples).toBe(250);
    await waitFor(world, () => adopted(world, joiner.id).some((head) => head.hash === version.hash), 30_000, 'the joiner to adopt that version');
  });

  it('a restarted peer resumes from its checkpoint, catches up and contributes again', async () => {
    const task = testTask({
      cohort: { fraction: 1, minPeers: 3 },
      timing: { collectionWindowMs: 3000, curatorDeadlineMs: 4000, maxBlobBytes: 16 * MiB },
    });
    federation = await testFederation(3, 250, task);
    const world = federation;
    for (let i = 0; i < 3; i++) await world.start(i);
    await waitFor(world, () => world.commonRound() >= 2, 40_000, 'three peers at round 2');

    const id = world.peer(2)!.id;
    await world.stop(2);
    const checkpoint = JSON.parse(await readFile(join(world.dataDir(2), 'tasks', task.id, 'checkpoint.json'), 'utf8')) as { round: number; head: string };
    expect(checkpoint.round).toBeGreaterThanOrEqual(2);
    await waitFor(world, () => world.commonRound() >= checkpoint.round + 1, 40_000, 'the two others a round further');

    const restartedAt = world.events.length;
    const othersRoundAtRestart = world.commonRound();
    const peer = await world.start(2);
    expect(peer.id).toBe(id); // same data folder, same identity
    const logs = world.events.slice(restartedAt).flatMap(({ peer: who, event }) => (who === id && event.type === 'log' ? [event.message] : []));
    expect(logs).toContain(`resuming at round ${checkpoint.round} (version ${checkpoint.head.slice(0, 12)})`);

    // Its first adoption after the restart is a version the others hold, of a later round.
    const others = world.peers.filter((p) => p.id !== id);
    const othersHashes = () => new Set(allAdopted(world).filter(({ peer: who }) => who !== id).map(({ head }) => head.hash));
    await waitFor(world, () => adopted(world, id, restartedAt).some((head) => othersHashes().has(head.hash)), 30_000, 'the restarted peer to catch up');
    const caughtUp = adopted(world, id, restartedAt)[0]!;
    expect(caughtUp.round).toBeGreaterThan(checkpoint.round);
    expect(othersHashes().has(caughtUp.hash)).toBe(true);

    const contributed = () =>
      allAdopted(world, restartedAt).find(({ peer: who, head }) => who !== id && head.round > othersRoundAtRestart && head.contributors.some((c) => c.peer === id));
    await waitFor(world, () => contributed() !== undefined, 40_000, "a later version holding the restarted peer's delta");
    const version = contributed()!.head;
    await waitFor(world, () => adopted(world, id).some((head) => head.hash === version.hash), 30_000, 'the restarted peer to adopt that version');

    // Nothing it held before the restart is lost: the chain up to its checkpoint is complete.
    const before = await peer.store.versions.history(checkpoint.head);
    expect(before.complete).toBe(true);
    expect(before.versions.map((v) => v.round)).toEqual(Array.from({ length: checkpoint.round + 1 }, (_, i) => checkpoint.round - i));

    // From the version it contributed to, its history walks back either to genesis (when it
    // learnt every version it skipped with its provenance) or to a gap it reports as `missing`:
    // catching up pulls only the newest head, so the versions of rounds it slept through are
    // recorded by the others but not by it. What it does record is contiguous and equals the
    // others' records.
    const reference = await others[0]!.store.versions.history(version.hash);
    expect(reference.complete).toBe(true);
    const roundOf = new Map(reference.versions.map((v) => [v.hash, v.round]));
    const history = await peer.store.versions.history(version.hash);
    const rounds = history.versions.map((v) => v.round);
    expect(rounds).toEqual(Array.from({ length: rounds.length }, (_, i) => version.round - i));
    expect(history.versions.map((v) => v.hash)).toEqual(reference.versions.slice(0, rounds.length).map((v) => v.hash));
    if (!history.complete) {
      expect(history.end.kind).toBe('missing');
      const missing = history.end.kind === 'missing' ? history.end.hash : '';
      const missingRound = roundOf.get(missing)!;
      expect(missingRound).toBeGreaterThan(checkpoint.round);
      expect(missingRound).toBeLessThanOrEqual(caughtUp.round);
      expect(rounds.at(-1)).toBe(missingRound + 1);
    }
    console.log(
      `restart: checkpoint round ${checkpoint.round}, caught up at round ${caughtUp.round}, contributed to round ${version.round}; ` +
        `history ${history.complete ? 'complete' : `ends at a ${history.end.kind} version`} (${rounds.length} records)`,
    );
  });
});
