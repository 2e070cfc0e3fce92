import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GossipflError } from '../../node/errors.ts';
import { REPORT_FORMAT, ReportFolderError, writeRunReport, type RunReport } from '../../node/report/run-report.ts';
import { checkXml } from './xml-check.ts';

const MIB = 1024 * 1024;

function sampleReport(rounds = 4): RunReport {
  const accuracies = [0.61, 0.84, Number.NaN, 0.93, 0.94, 0.95];
  return {
    task: 'mnist-mlp',
    peers: 5,
    backend: 'wasm',
    modelFolder: 'mnist-mlp-model',
    createdAt: '2026-11-20T10:00:00.000Z',
    target: 0.92,
    rounds: Array.from({ length: rounds }, (_, i) => ({
      round: i + 1,
      seconds: 2.5 * (i + 1),
      curator: i % 2 === 0 ? '12D3KooWcurA' : 'peer,with "comma"',
      contributors: 3,
      samples: 1800,
      testAccuracy: accuracies[i],
      testLoss: i === 2 ? undefined : 1 / (i + 1),
      bytes: 3 * MIB,
    })),
    history: [
      {
        round: 2,
        hash: 'bafyV2',
        parent: 'bafyV1',
        curator: '12D3KooWcurB',
        contributors: [
          { peer: '12D3KooWa', delta: 'bafyDa', samples: 600 },
          { peer: '12D3KooWb', delta: 'bafyDb', samples: 1200 },
        ],
        merged: ['bafyV2other'],
      },
      { round: 0, hash: 'bafyV0', contributors: [], merged: [] },
    ],
  };
}

describe('writeRunReport', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'gossipfl-report-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes the five files with the expected contents into a new folder', async () => {
    const dir = join(root, 'nested', 'report');
    const files = await writeRunReport(dir, sampleReport());
    expect(files.map((f) => f.slice(dir.length + 1)).sort()).toEqual(
      ['accuracy-vs-bytes.svg', 'accuracy.svg', 'history.txt', 'rounds.csv', 'summary.json'],
    );
    expect((await readdir(dir)).sort()).toEqual(['accuracy-vs-bytes.svg', 'accuracy.svg', 'history.txt', 'rounds.csv', 'summary.json']);

    const csv = await readFile(join(dir, 'rounds.csv'), 'utf8');
    const lines = csv.split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -1)).toHaveLength(4 + 1);
    expect(lines[0]).toBe('round,seconds,curator,contributors,samples,test_accuracy,test_loss,bytes,cumulative_bytes');
    expect(lines[1]).toBe(`1,2.5,12D3KooWcurA,3,1800,0.61,1,${3 * MIB},${3 * MIB}`);
    expect(lines[2]).toBe(`2,5,"peer,with ""comma""",3,1800,0.84,0.5,${3 * MIB},${6 * MIB}`);
    expect(lines[3]).toBe(`3,7.5,12D3KooWcurA,3,1800,,,${3 * MIB},${9 * MIB}`);

    const summary: unknown = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8'));
    expect(summary).toEqual({
      format: REPORT_FORMAT,
      task: 'mnist-mlp',
      rounds: 4,
      finalAccuracy: 0.93,
      reachedTarget: true,
      reachedTargetAtRound: 4,
      target: 0.92,
      totalBytes: 12 * MIB,
      seconds: 10,
      peers: 5,
      backend: 'wasm',
      modelFolder: 'mnist-mlp-model',
      createdAt: '2026-11-20T10:00:00.000Z',
    });

    const accuracy = await readFile(join(dir, 'accuracy.svg'), 'utf8');
    checkXml(accuracy);
    expect(accuracy).toContain('mnist-mlp: test accuracy by round');
    expect(accuracy).toContain('target 0.92');
    const byBytes = await readFile(join(dir, 'accuracy-vs-bytes.svg'), 'utf8');
    checkXml(byBytes);
    expect(byBytes).toContain('cumulative MiB moved');
    // x ticks cover 3…12 MiB.
    expect(byBytes).toMatch(/>12<\/text>|>10<\/text>/);

    const history = await readFile(join(dir, 'history.txt'), 'utf8');
    expect(history).toContain('version 2 bafyV2');
    expect(history).toContain('  parent        bafyV1');
    expect(history).toContain('  curator       12D3KooWcurB');
    expect(history).toContain('  contributors  2 (1800 samples)');
    expect(history).toContain('    12D3KooWb  1200 samples  delta bafyDb');
    expect(history).toContain('  merged        bafyV2other');
    expect(history).toContain('version 0 bafyV0\n  parent        (none: initial version)');
    expect(history.indexOf('version 2')).toBeLessThan(history.indexOf('version 0'));
  });

  it('summarises a run without target or rounds with nulls', async () => {
    const dir = join(root, 'empty-run');
    const { target: _, ...rest } = sampleReport(0);
    await writeRunReport(dir, { ...rest, history: [] });
    const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as Record<string, unknown>;
    expect(summary).toMatchObject({ rounds: 0, finalAccuracy: null, reachedTarget: null, target: null, totalBytes: 0, seconds: 0 });
    expect(await readFile(join(dir, 'rounds.csv'), 'utf8')).toBe(
      'round,seconds,curator,contributors,samples,test_accuracy,test_loss,bytes,cumulative_bytes\n',
    );
    checkXml(await readFile(join(dir, 'accuracy.svg'), 'utf8'));
  });

  it('writes into an existing empty folder', async () => {
    await expect(writeRunReport(root, sampleReport())).resolves.toHaveLength(5);
  });

  it('refuses a non-empty folder without an earlier report, and leaves it untouched', async () => {
    await writeFile(join(root, 'notes.txt'), 'mine');
    const error = await writeRunReport(root, sampleReport()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReportFolderError);
    expect(error).toBeInstanceOf(GossipflError);
    expect((error as Error).message).toMatch(/not empty and holds no summary\.json from an earlier gossipfl report/);
    expect(await readdir(root)).toEqual(['notes.txt']);

    // A summary.json that is not ours does not count either.
    await writeFile(join(root, 'summary.json'), '{"something":"else"}');
    await expect(writeRunReport(root, sampleReport())).rejects.toThrow(ReportFolderError);
  });

  it('refuses a path that is a file', async () => {
    const file = join(root, 'file');
    await writeFile(file, 'x');
    await expect(writeRunReport(file, sampleReport())).rejects.toThrow(/is a file, not a folder/);
  });

  it('overwrites its own earlier report, keeping other files, with identical bytes for identical input', async () => {
    const dir = join(root, 'r');
    await writeRunReport(dir, sampleReport(6));
    const first = await readFile(join(dir, 'accuracy.svg'), 'utf8');
    await writeFile(join(dir, 'extra.log'), 'kept');
    await mkdir(join(dir, 'sub'));
    await writeRunReport(dir, sampleReport(2));
    const csv = await readFile(join(dir, 'rounds.csv'), 'utf8');
    expect(csv.trimEnd().split('\n')).toHaveLength(3);
    expect(JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8'))).toMatchObject({ rounds: 2, reachedTarget: false });
    expect(await readFile(join(dir, 'extra.log'), 'utf8')).toBe('kept');
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);

    await writeRunReport(dir, sampleReport(6));
    expect(await readFile(join(dir, 'accuracy.svg'), 'utf8')).toBe(first);
  });
});
