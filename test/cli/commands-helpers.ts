/** Runs the real `gossipfl` launcher in child processes, in temporary folders. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

export const root = resolve(import.meta.dirname, '../..');
const launcher = join(root, 'bin/gossipfl.js');
const run = promisify(execFile);

export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

export async function gossipfl(args: string[], cwd = root): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, [launcher, ...args], { cwd, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** A long-running `gossipfl` child whose output is collected as it comes. */
export interface Running {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves with the first stdout match of `pattern`; rejects at the deadline or on exit. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function spawnGossipfl(args: string[]): Running {
  const child = spawn(process.execPath, [launcher, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const running: Running = {
    child,
    stdout: '',
    stderr: '',
    waitFor(pattern, timeoutMs) {
      return new Promise((resolveMatch, reject) => {
        const check = () => {
          const match = running.stdout.match(pattern);
          if (match !== null) {
            finish();
            resolveMatch(match);
          }
        };
        const onExit = () => {
          finish();
          reject(new Error(`gossipfl exited before printing ${pattern}:\n${running.stdout}\n${running.stderr}`));
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}:\n${running.stdout}\n${running.stderr}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          child.stdout!.off('data', check);
          child.off('exit', onExit);
        };
        child.stdout!.on('data', check);
        child.once('exit', onExit);
        check();
      });
    },
    async stop(signal = 'SIGINT') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    running.stdout += chunk;
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    running.stderr += chunk;
  });
  return running;
}

/** A small fast MNIST task (logreg, short timing) for real runs. */
export const FAST_TASK = [
  'version: 1',
  'id: cli-mnist',
  'model: {preset: logreg, seed: 1}',
  'data: {builtin: mnist}',
  'stopping: {rounds: 50}',
  'cohort: {fraction: 1, minPeers: 2}',
  'timing: {collectionWindowMs: 2000, curatorDeadlineMs: 5000, maxBlobBytes: 1048576}',
  'encoding: f32',
  '',
].join('\n');

/**
 * A config.yaml listening on loopback and opting into `taskId` signed by `signer`, admitting
 * the peers of `allowList` (default: the signer) — or, with 'open', no allow-list at all
 * (`start` then needs --open).
 */
export function optInConfig(taskId: string, signer: string, allowList: readonly string[] | 'open' = [signer]): string {
  const admission = allowList === 'open' ? '' : `allowList: [${allowList.join(', ')}]\n`;
  return `listen: [/ip4/127.0.0.1/tcp/0]\n${admission}tasks:\n  - id: ${taskId}\n    signers: [${signer}]\n`;
}
