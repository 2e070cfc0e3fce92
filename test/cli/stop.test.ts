/**
 * Ctrl-C stops a real `gossipfl start` peer within 5 s, even in the middle of a long round of
 * training on a large CSV, and even while it is still reading its local data.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gossipfl, optInConfig, spawnGossipfl, type Running } from './commands-helpers.ts';
import { writeLargeCsv } from './large-csv.ts';

const TASK_ID = 'stop-large-csv';
const FEATURES = 30;
// 200,000 rows (≈ 31 MB) in batches of 8: one round's training takes well over 20 s here.
const ROWS = 200_000;
const STOP_BOUND_MS = 5000;

const running: Running[] = [];
let dir: string;
let signed: string;
let peerDir: string;

function taskYaml(): string {
  const columns = Array.from({ length: FEATURES }, (_, i) => `f${i}`).join(', ');
  return [
    'version: 1',
    `id: ${TASK_ID}`,
    'model: {preset: logreg, seed: 1}',
    `data: {featureCount: ${FEATURES}, classes: [low, high], labelColumn: label, featureColumns: [${columns}]}`,
    'training: {epochs: 1, batchSize: 8, optimizer: sgd, learningRate: 0.05}',
    'stopping: {rounds: 3}',
    // One peer is a cohort: it starts training its round as soon as it runs.
    'cohort: {fraction: 1, minPeers: 1}',
    'timing: {collectionWindowMs: 2000, curatorDeadlineMs: 5000, maxBlobBytes: 1048576}',
    'encoding: f32',
    '',
  ].join('\n');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gossipfl-cli-stop-'));
  peerDir = join(dir, 'peer');
  const { peerId } = JSON.parse((await gossipfl(['init', '--dir', peerDir, '--json'])).stdout);
  await writeFile(join(dir, 'task.yaml'), taskYaml());
  signed = join(dir, 'task.signed.yaml');
  expect((await gossipfl(['task', 'sign', join(dir, 'task.yaml'), '--dir', peerDir, '--out', signed])).code).toBe(0);
  await writeFile(join(peerDir, 'config.yaml'), optInConfig(TASK_ID, peerId));
});

afterAll(async () => {
  await Promise.allSettled(running.map((peer) => peer.stop('SIGKILL')));
  await rm(dir, { recursive: true, force: true });
});

/** Every file under the peer's task stores with its size and modification time ([] before the first start). */
async function storeFiles(): Promise<string[]> {
  const root = join(peerDir, 'tasks');
  if (!existsSync(root)) return [];
  const files = await readdir(root, { recursive: true, withFileTypes: true });
  return Promise.all(
    files.map(async (entry) => {
      const path = join(entry.parentPath, entry.name);
      const { size, mtimeMs } = await stat(path);
      return `${path} ${size} ${mtimeMs}`;
    }),
  );
}

/** Milliseconds from sending `signal` to the process's exit, and its exit code. */
async function timedStop(peer: Running, signal: NodeJS.Signals = 'SIGINT'): Promise<{ ms: number; code: number | null }> {
  const sent = performance.now();
  const code = await peer.stop(signal);
  return { ms: performance.now() - sent, code };
}

describe('Ctrl-C', () => {
  it('stops a peer still reading its local data at once, before anything is written', async () => {
    // A named pipe as the data file: the peer is reading it for as long as the test wants.
    const fifo = join(dir, 'slow.csv');
    await promisify(execFile)('mkfifo', [fifo]);
    const before = await storeFiles();
    const peer = spawnGossipfl(['start', signed, '--dir', peerDir, '--data', fifo]);
    running.push(peer);
    // Opening the pipe for writing completes once the peer has opened it to read.
    const writer = await open(fifo, 'w');
    try {
      await writer.write(`${Array.from({ length: FEATURES }, (_, i) => `f${i}`).join(',')},label\n`);
      const { ms, code } = await timedStop(peer);
      console.log(`stop while reading data took ${ms.toFixed(0)} ms`);
      expect(ms).toBeLessThan(STOP_BOUND_MS);
      // Nothing is written before the data passes the gate: the default action of SIGINT ends
      // the process at once, even inside a long synchronous parse.
      expect(code).toBeNull();
      expect(peer.child.signalCode).toBe('SIGINT');
      expect(await storeFiles()).toEqual(before);
    } finally {
      await writer.close().catch(() => {});
    }
  }, 40_000);

  it('stops a peer mid-training on a large CSV within 5 s, exit 0, leaving a store that status reads', async () => {
    const csv = join(dir, 'large.csv');
    await writeLargeCsv(csv, ROWS, FEATURES);
    const peer = spawnGossipfl(['start', signed, '--dir', peerDir, '--data', csv]);
    running.push(peer);
    // With one peer a round starts as the peer starts: by the time it says where it listens,
    // its training for round 1 is in flight (and takes far longer than the test waits).
    await peer.waitFor(/with 200000 local samples\nlistening on \S+\/p2p\//, 30_000);
    const { ms, code } = await timedStop(peer);
    console.log(`stop mid-training took ${ms.toFixed(0)} ms`);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(STOP_BOUND_MS);
    expect(peer.stdout).not.toContain('trained for round'); // it was stopped mid-round
    expect(peer.stdout).toMatch(/SIGINT: stopping…[^\n]*\nstopped\n$/);
    // Nothing on stderr but init's allow-list of this peer alone, which start points out.
    expect(peer.stderr.replace(/^warning: the allowList in \S+ names only this peer[^\n]*\n/, '')).toBe('');

    const status = await gossipfl(['status', '--dir', peerDir, '--task', TASK_ID, '--json']);
    expect(status.code).toBe(0);
    const [task] = JSON.parse(status.stdout).tasks;
    expect(task).toMatchObject({ task: TASK_ID, round: 0, problems: [] });
    expect(existsSync(join(peerDir, 'tasks', TASK_ID, 'LOCK'))).toBe(false);
  }, 40_000);
});
