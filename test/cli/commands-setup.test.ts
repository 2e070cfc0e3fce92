import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_TASK, gossipfl, optInConfig, root } from './commands-helpers.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gossipfl-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every file and folder under `folder` with its size and modification time. */
async function listTree(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true });
  return Promise.all(entries.sort().map(async (entry) => {
    const info = await stat(join(folder, entry));
    return `${entry} ${info.size} ${info.mtimeMs}`;
  }));
}

describe('gossipfl init', () => {
  it('creates an identity (mode 0600) and a config template, prints the peer ID, refuses to run twice', async () => {
    const dataDir = join(dir, 'init');
    const first = await gossipfl(['init', '--dir', dataDir, '--swarm-key', '--json']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const report = JSON.parse(first.stdout);
    expect(report.peerId).toMatch(/^12D3KooW/);
    expect(report.swarmKeyFingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(report.allowList).toBeUndefined();
    expect((await stat(join(dataDir, 'identity.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dataDir, 'swarm.key'))).mode & 0o777).toBe(0o600);
    const config = await readFile(join(dataDir, 'config.yaml'), 'utf8');
    expect(config).toContain('swarmKey: swarm.key');
    expect(config).toContain('tasks: []');
    const before = await readFile(join(dataDir, 'identity.key'));
    const second = await gossipfl(['init', '--dir', dataDir]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/identity\.key, .*config\.yaml already exist; nothing was changed/);
    expect(second.stderr.trim().split('\n')).toHaveLength(1);
    expect(await readFile(join(dataDir, 'identity.key'))).toEqual(before);
  });

  it('without --swarm-key writes an allow-list of the peer\'s own ID and says how to add the others', async () => {
    const dataDir = join(dir, 'init-allow');
    const made = await gossipfl(['init', '--dir', dataDir]);
    expect(made.code).toBe(0);
    const peerId = /peer ID {2}(12D3KooW\S+)/.exec(made.stdout)?.[1];
    expect(peerId).toBeDefined();
    expect(made.stdout).toContain(`allowList [${peerId}]`);
    expect(made.stdout).toContain("add every other member's");
    const config = await readFile(join(dataDir, 'config.yaml'), 'utf8');
    expect(config).toMatch(new RegExp(`^allowList: \\[${peerId}\\]$`, 'm'));
    expect(config).toContain('Add each member\'s ID');
  });
});

describe('gossipfl task', () => {
  it('creates, signs and verifies; refuses a tampered task and lists every problem of a bad manifest', async () => {
    const dataDir = join(dir, 'signer');
    const init = JSON.parse((await gossipfl(['init', '--dir', dataDir, '--json'])).stdout);
    expect(init.allowList).toEqual([init.peerId]);
    const created = await gossipfl(['task', 'create', '--from', join(root, 'examples/tasks/mnist.yaml'), '--json']);
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ id: 'mnist-2nn', mode: 'curator' });
    const signed = join(dir, 'mnist.signed.yaml');
    const sign = await gossipfl(['task', 'sign', join(root, 'examples/tasks/mnist.yaml'), '--dir', dataDir, '--out', signed]);
    expect(sign.code).toBe(0);
    const verify = await gossipfl(['task', 'verify', signed, '--json']);
    expect(verify.code).toBe(0);
    const verified = JSON.parse(verify.stdout);
    expect(verified).toMatchObject({ ok: true, id: 'mnist-2nn', signer: init.peerId });
    expect(verified.taskHash).toMatch(/^[0-9a-f]{64}$/);

    const tampered = join(dir, 'tampered.yaml');
    await writeFile(tampered, (await readFile(signed, 'utf8')).replace('rounds: 30', 'rounds: 31'));
    const refused = await gossipfl(['task', 'verify', tampered]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/changed after it was signed.*refused/);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);

    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'version: 3\nid: Bad\n');
    const invalid = await gossipfl(['task', 'create', '--from', bad]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('5 problems');
    for (const field of ['version', 'id', 'model', 'data', 'stopping']) expect(invalid.stderr).toContain(`- ${field}:`);

    const noModel = join(dir, 'no-model.yaml');
    await writeFile(noModel, 'version: 1\nid: layers-task\nmodel: {layers: models/none.json}\ndata: {featureCount: 3, classes: [a, b], labelColumn: y}\nstopping: {rounds: 5}\n');
    const missingModel = await gossipfl(['task', 'sign', noModel, '--dir', dataDir]);
    expect(missingModel.code).toBe(1);
    expect(missingModel.stdout).toBe('');
    expect(missingModel.stderr).toContain('model.layers: "models/none.json"');
    expect(missingModel.stderr).toContain(`${join(dir, 'models', 'none.json')})`);

    const noIdentity = await gossipfl(['task', 'sign', join(root, 'examples/tasks/mnist.yaml'), '--dir', join(dir, 'nowhere')]);
    expect(noIdentity.code).toBe(1);
    expect(noIdentity.stderr).toContain('gossipfl init');
  });
});

describe('gossipfl start refuses before joining', () => {
  it('a bad config, a task not opted into, unreadable data', async () => {
    const dataDir = join(dir, 'peer');
    const { peerId } = JSON.parse((await gossipfl(['init', '--dir', dataDir, '--json'])).stdout);
    await writeFile(join(dir, 'fast.yaml'), FAST_TASK);
    const signed = join(dir, 'fast.signed.yaml');
    expect((await gossipfl(['task', 'sign', join(dir, 'fast.yaml'), '--dir', dataDir, '--out', signed])).code).toBe(0);

    await writeFile(join(dataDir, 'config.yaml'), 'listen: [not-an-address]\nbootstrapp: []\nmdns: yes please\n');
    const badConfig = await gossipfl(['start', signed, '--dir', dataDir, '--mnist-shard', '1/2']);
    expect(badConfig.code).toBe(1);
    expect(badConfig.stderr).toMatch(/config\.yaml has 3 problems/);
    expect(badConfig.stderr).toContain('did you mean "bootstrap"');
    expect(badConfig.stderr).toContain('"not-an-address" is not a multiaddr');
    expect(badConfig.stderr.trim().split('\n')).toHaveLength(1);

    await writeFile(join(dataDir, 'config.yaml'), optInConfig('other-task', peerId));
    const notOptedIn = await gossipfl(['start', signed, '--dir', dataDir, '--mnist-shard', '1/2']);
    expect(notOptedIn.code).toBe(1);
    expect(notOptedIn.stderr).toContain('refused: not opted into task "cli-mnist" (opted into: other-task)');

    await writeFile(join(dataDir, 'config.yaml'), optInConfig('iris-like', peerId));
    const iris = join(dir, 'iris.signed.yaml');
    expect((await gossipfl(['task', 'sign', join(root, 'examples/tasks/iris-like.yaml'), '--dir', dataDir, '--out', iris])).code).toBe(0);
    const missing = await gossipfl(['start', iris, '--dir', dataDir, '--data', join(dir, 'no-such.csv')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no-such\.csv/);
    const noData = await gossipfl(['start', iris, '--dir', dataDir]);
    expect(noData.code).toBe(2);
    expect(noData.stderr).toContain('give --data FILE');
  });
});

describe('gossipfl start refuses an open peer', () => {
  it('exits 2 with what to do and writes nothing when config.yaml has no allowList and no swarmKey; --open gets past the check', async () => {
    const dataDir = join(dir, 'open');
    const { peerId } = JSON.parse((await gossipfl(['init', '--dir', dataDir, '--json'])).stdout);
    await writeFile(join(dir, 'open-task.yaml'), FAST_TASK);
    const signed = join(dir, 'open-task.signed.yaml');
    expect((await gossipfl(['task', 'sign', join(dir, 'open-task.yaml'), '--dir', dataDir, '--out', signed])).code).toBe(0);
    await writeFile(join(dataDir, 'config.yaml'), optInConfig('cli-mnist', peerId, 'open'));
    const before = await listTree(dataDir);

    const refused = await gossipfl(['start', signed, '--dir', dataDir, '--mnist-shard', '1/2']);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('has neither an allowList nor a swarmKey');
    expect(refused.stderr).toContain('"allowList:"');
    expect(refused.stderr).toContain('--open');
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(await listTree(dataDir)).toEqual(before);

    // With --open the same config passes this check and stops at the next one (no data given).
    const open = await gossipfl(['start', signed, '--dir', dataDir, '--open']);
    expect(open.code).toBe(2);
    expect(open.stderr).toContain('give --mnist-shard I/N');
    expect(open.stderr).not.toContain('allowList');
  });
});

describe('status and history', () => {
  it('say clearly that a folder holds nothing yet', async () => {
    const dataDir = join(dir, 'empty');
    await gossipfl(['init', '--dir', dataDir]);
    const status = await gossipfl(['status', '--dir', dataDir]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('holds no task yet');
    const history = await gossipfl(['history', '--dir', dataDir, '--task', 'cli-mnist']);
    expect(history.code).toBe(1);
    expect(history.stderr).toContain('holds no state for task "cli-mnist"');
    const nowhere = await gossipfl(['status', '--dir', join(dir, 'does-not-exist')]);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toContain('does not exist; create it with `gossipfl init');
  });

  it('every new command has a --help', async () => {
    for (const command of ['init', 'task', 'start', 'status', 'history', 'export', 'evaluate']) {
      const outcome = await gossipfl([command, '--help']);
      expect(outcome.code).toBe(0);
      expect(outcome.stdout).toMatch(new RegExp(`^Usage: gossipfl ${command}`));
    }
  });
});
