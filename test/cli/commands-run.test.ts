import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FAST_TASK, gossipfl, optInConfig, spawnGossipfl, type Running } from './commands-helpers.ts';

const running: Running[] = [];
let dir: string | undefined;
afterAll(async () => {
  await Promise.allSettled(running.map((peer) => peer.stop('SIGKILL')));
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('a real run from the command line', () => {
  it('two `start` peers adopt a round, stop on SIGINT with exit 0; status, history, export and evaluate read the store', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gossipfl-cli-run-'));
    const [a, b] = [join(dir, 'a'), join(dir, 'b')];
    const { peerId } = JSON.parse((await gossipfl(['init', '--dir', a, '--json'])).stdout);
    const { peerId: peerB } = JSON.parse((await gossipfl(['init', '--dir', b, '--json'])).stdout);
    await writeFile(join(dir, 'task.yaml'), FAST_TASK);
    const signed = join(dir, 'task.signed.yaml');
    expect((await gossipfl(['task', 'sign', join(dir, 'task.yaml'), '--dir', a, '--out', signed])).code).toBe(0);
    // A admits the two members only; B runs without a list, deliberately open.
    await writeFile(join(a, 'config.yaml'), optInConfig('cli-mnist', peerId, [peerId, peerB]));
    await writeFile(join(b, 'config.yaml'), optInConfig('cli-mnist', peerId, 'open'));

    const first = spawnGossipfl(['start', signed, '--dir', a, '--mnist-shard', '1/10']);
    running.push(first);
    const [, address] = await first.waitFor(/listening on (\S+\/p2p\/\S+)/, 30_000);
    const second = spawnGossipfl(['start', signed, '--dir', b, '--mnist-shard', '2/10', '--bootstrap', address!, '--json', '--open']);
    running.push(second);
    const [, round] = await first.waitFor(/round (\d+) {2}curator \S+ {2}contributors 2 {2}samples 1600/, 40_000);
    await second.waitFor(new RegExp(`"type":"adopted","head":\\{"round":${round}`), 10_000);

    // status and history read the store while the peer still runs (no lock taken).
    const status = await gossipfl(['status', '--dir', a, '--json']);
    expect(status.code).toBe(0);
    const [task] = JSON.parse(status.stdout).tasks;
    expect(task).toMatchObject({ task: 'cli-mnist', problems: [] });
    expect(task.round).toBeGreaterThanOrEqual(Number(round));

    expect(await first.stop('SIGINT')).toBe(0);
    expect(await second.stop('SIGINT')).toBe(0);
    expect(first.stdout).toContain('stopped');
    expect(second.stdout).toContain('"type":"stopped"');

    const history = await gossipfl(['history', '--dir', a, '--task', 'cli-mnist', '--json']);
    expect(history.code).toBe(0);
    const chain = JSON.parse(history.stdout);
    expect(chain.complete).toBe(true);
    expect(chain.versions.at(-1).round).toBe(0);
    expect(chain.versions.some((v: { round: number; contributors: unknown[] }) => v.round === Number(round) && v.contributors.length === 2)).toBe(true);

    const model = join(dir, 'model');
    const exported = await gossipfl(['export', '--dir', a, '--task', 'cli-mnist', '--out', model, '--round', round!, '--json']);
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ task: 'cli-mnist', round: Number(round) });
    const evaluated = await gossipfl(['evaluate', join(model, 'model.json'), '--mnist-test', '--json']);
    expect(evaluated.code).toBe(0);
    const metrics = JSON.parse(evaluated.stdout);
    expect(metrics.samples).toBe(2000);
    expect(metrics.accuracy).toBeGreaterThan(0.5); // logistic regression trained on 800–1,600 digits
    expect(Number.isFinite(metrics.loss)).toBe(true);

    const refused = await gossipfl(['export', '--dir', a, '--task', 'cli-mnist', '--out', dir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('holds other files');
  });
});
