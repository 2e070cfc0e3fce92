import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { nodeTooOld, REQUIRED_NODE_MAJOR } from '../../bin/node-version.js';

const root = resolve(import.meta.dirname, '../..');
const launcher = join(root, 'bin/gossipfl.js');
const fixture = (name: string) => join(root, 'test/fixtures/data', name);
const run = promisify(execFile);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `gossipfl` launcher in a child process with the given node binary. */
async function gossipfl(args: string[], nodeBinary = process.execPath): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(nodeBinary, [launcher, ...args], { cwd: root, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** The first `node` on PATH outside this project's node_modules: what a user's shell would run. */
function systemNode(): string | undefined {
  const dirs = (process.env['PATH'] ?? '').split(delimiter).filter((dir) => !dir.includes('node_modules'));
  return dirs.map((dir) => join(dir, 'node')).find((path) => existsSync(path));
}

describe('the launcher', () => {
  it('says in one line that Node >= 22 is needed on older Node', () => {
    expect(nodeTooOld('v20.20.2')).toMatch(/^gossipfl needs Node.js >= 22 \(this is v20.20.2\)/);
    expect(nodeTooOld('v18.0.0')).not.toContain('\n');
    expect(nodeTooOld('v22.12.0')).toBeUndefined();
    expect(nodeTooOld('v24.1.0')).toBeUndefined();
  });

  it('behaves right under the Node a user would have on PATH', async () => {
    const node = systemNode();
    expect(node, 'a node binary on PATH').toBeDefined();
    const { stdout: version } = await run(node!, ['--version']);
    const outcome = await gossipfl(['--help'], node);
    if (Number(version.slice(1).split('.')[0]) < REQUIRED_NODE_MAJOR) {
      expect(outcome.code).toBe(1);
      expect(outcome.stderr.trim()).toBe(nodeTooOld(version.trim()));
    } else {
      expect(outcome.code).toBe(0);
      expect(outcome.stdout).toContain('Usage: gossipfl');
    }
  });
});

describe('gossipfl commands', () => {
  it('prints usage and exits 2 for no command or an unknown one', async () => {
    const none = await gossipfl([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toContain('Commands:');
    const unknown = await gossipfl(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
  });

  it('gives every command a --help', async () => {
    for (const command of ['demo', 'data', 'backend']) {
      const outcome = await gossipfl([command, '--help']);
      expect(outcome.code).toBe(0);
      expect(outcome.stdout).toMatch(new RegExp(`^Usage: gossipfl ${command}`));
    }
  });

  it('rejects bad options with one clear line and exit code 2', async () => {
    const badNumber = await gossipfl(['demo', '--peers', 'many']);
    expect(badNumber.code).toBe(2);
    expect(badNumber.stderr.trim()).toBe('gossipfl: demo: --peers must be a whole number from 2 to 64, got "many"');
    const badFlag = await gossipfl(['demo', '--colour']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain("Unknown option '--colour'");
    const badTarget = await gossipfl(['demo', '--target', '1.5']);
    expect(badTarget.stderr).toContain('--target must be a number in (0, 1]');
    const badBackend = await gossipfl(['backend', '--force', 'gpu']);
    expect(badBackend.code).toBe(1);
    expect(badBackend.stderr.trim()).toBe('gossipfl backend: --force: unknown backend "gpu"; choose one of tensorflow, wasm, cpu');
  });

  it('reports the backend it uses', async () => {
    const outcome = await gossipfl(['backend', '--json']);
    expect(outcome.code).toBe(0);
    expect(['tensorflow', 'wasm', 'cpu']).toContain(JSON.parse(outcome.stdout).name);
  });

  it('checks data files: passes a good one, lists every problem of a bad one with exit code 1', async () => {
    const schema = ['--label', 'species', '--classes', 'cat,dog,bird'];
    const good = await gossipfl(['data', 'check', fixture('good.csv'), ...schema]);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/rows, all valid/);
    const bad = await gossipfl(['data', 'check', fixture('many-problems.csv'), ...schema, '--json']);
    expect(bad.code).toBe(1);
    const report = JSON.parse(bad.stdout);
    expect(report.ok).toBe(false);
    expect(report.problemCount).toBeGreaterThan(1);
    expect(report.problems.every((p: { line?: number }) => typeof p.line === 'number')).toBe(true);
    const missing = await gossipfl(['data', 'check', fixture('no-such-file.csv'), ...schema]);
    expect(missing.code).toBe(1);
    expect(missing.stdout + missing.stderr).toMatch(/no-such-file\.csv/);
    const noSchema = await gossipfl(['data', 'check', fixture('good.csv')]);
    expect(noSchema.code).toBe(2);
    expect(noSchema.stderr).toContain('give --schema FILE, or both --label and --classes');
  });

  it('runs a short peer-to-peer demo on real MNIST digits and writes its report', async () => {
    const out = await mkdtemp(join(tmpdir(), 'gossipfl-demo-report-'));
    try {
      const outcome = await gossipfl(['demo', '--peers', '2', '--rounds', '1', '--out', out]);
      expect(outcome.stderr).toBe('');
      expect(outcome.code).toBe(0);
      expect(outcome.stdout).toMatch(/round {2}1\/1 {2}curator peer [01] {2}contributors 2 {2}samples 8000 {2}test accuracy \d+\.\d\d%/);
      const csv = await readFile(join(out, 'rounds.csv'), 'utf8');
      expect(csv.trim().split('\n')).toHaveLength(2);
      const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
      expect(summary.peers).toBe(2);
      expect(await readFile(join(out, 'model', 'model.json'), 'utf8')).toContain('modelTopology');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
