/**
 * Helpers for the crash-recovery test: a `gossipfl start --json` child whose event lines are
 * parsed as they come, with waits that resolve on a line (or a deadline) and a listener that can
 * act on a line the moment it is read.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnGossipfl, type Running } from '../cli/commands-helpers.ts';

/** The parts of `start --json` lines this test reads. */
export interface EventLine {
  readonly type: string;
  readonly head?: { readonly round: number; readonly hash: string; readonly parent?: string; readonly curator?: string };
  readonly message?: string;
  readonly addresses?: readonly string[];
  readonly peerId?: string;
}

/** One life of a peer: a process from start to exit. */
export interface PeerLife {
  readonly running: Running;
  readonly events: EventLine[];
  /** Calls `onEvent` for each event parsed from now on, until the returned function is called. */
  watch(onEvent: (event: EventLine) => void): () => void;
  /** Resolves with the first event (seen so far or later) matching `test`; rejects at the deadline or on exit. */
  waitFor(test: (event: EventLine) => boolean, timeoutMs: number, what: string): Promise<EventLine>;
}

export function startPeerLife(args: string[]): PeerLife {
  const running = spawnGossipfl(args);
  const events: EventLine[] = [];
  const watchers = new Set<(event: EventLine) => void>();
  let partial = '';
  running.child.stdout!.on('data', (chunk: string) => {
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      const event = JSON.parse(line) as EventLine;
      events.push(event);
      for (const watcher of [...watchers]) watcher(event);
    }
  });
  const life: PeerLife = {
    running,
    events,
    watch(onEvent) {
      watchers.add(onEvent);
      return () => watchers.delete(onEvent);
    },
    waitFor(test, timeoutMs, what) {
      const seen = events.find(test);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolveEvent, reject) => {
        const finish = () => {
          clearTimeout(timer);
          unwatch();
          running.child.off('exit', onExit);
        };
        const unwatch = life.watch((event) => {
          if (!test(event)) return;
          finish();
          resolveEvent(event);
        });
        const onExit = () => {
          finish();
          reject(new Error(`peer exited before ${what}:\n${running.stdout.slice(-4000)}\n${running.stderr.slice(-4000)}`));
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}:\n${running.stdout.slice(-4000)}\n${running.stderr.slice(-4000)}`));
        }, timeoutMs);
        running.child.once('exit', onExit);
      });
    },
  };
  return life;
}

export const adoptedRound = (event: EventLine): number | undefined => (event.type === 'adopted' ? event.head?.round : undefined);

/** The highest round a peer life adopted so far (−1 before any). */
export function lastAdopted(life: PeerLife): number {
  return life.events.reduce((max, event) => Math.max(max, adoptedRound(event) ?? -1), -1);
}

/**
 * The rounds a peer life reported adopted with their provenance (a parent), so recorded and
 * checkpointed before the event was printed, highest first; a head adopted by catching up without
 * one is checkpointed only once its version advert arrives.
 */
export function recordedRounds(life: PeerLife): number[] {
  return life.events.flatMap((e) => (e.type === 'adopted' && e.head?.parent !== undefined ? [e.head.round] : [])).sort((x, y) => y - x);
}

/**
 * The round a checkpoint must have reached after a life's adoptions: the highest reported with
 * provenance (an `adopted` line comes after its record and checkpoint are written, one adoption
 * after another — before the crash branch's finding, two writes in flight could leave the
 * checkpoint one round behind). −1 before any.
 */
export function checkpointFloor(life: PeerLife): number {
  return recordedRounds(life)[0] ?? -1;
}

/** The rounds a life reported adopted, in order; `*` marks a head adopted without its provenance. */
export function adoptions(life: PeerLife): string {
  return life.events.flatMap((e) => (e.type === 'adopted' && e.head !== undefined ? [`${e.head.round}${e.head.parent === undefined ? '*' : ''}`] : [])).join(' ');
}

/** "round N: aggregating K of M expected deltas as ROLE" → N, else undefined. */
export function aggregatingRound(event: EventLine): number | undefined {
  if (event.type !== 'log' || event.message === undefined) return undefined;
  const match = /^round (\d+): aggregating \d+ of \d+ expected deltas as /.exec(event.message);
  return match === null ? undefined : Number(match[1]);
}

/** The hashes of the version records in a peer's folder, and any other file found there. */
export async function versionFiles(dataDir: string, taskId: string): Promise<{ hashes: string[]; others: string[] }> {
  const names = await readdir(join(dataDir, 'tasks', taskId, 'versions'));
  const record = /^([0-9a-f]{64})\.json$/;
  return {
    hashes: names.flatMap((name) => record.exec(name)?.[1] ?? []).sort(),
    others: names.filter((name) => !record.test(name)),
  };
}
