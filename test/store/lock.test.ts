import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isProcessAlive, openTaskStore, StoreError, StoreLockedError, taskDir } from '../../node/store/index.ts';
import { bytes, useTempStore } from './helpers.ts';

const t = useTempStore();
const DEAD_PID = 999_999;

describe('task store', () => {
  it('creates the task folder layout and a LOCK holding our pid', async () => {
    const store = await t.open('mnist-demo');
    expect(store.dir).toBe(join(t.dataDir, 'tasks', 'mnist-demo'));
    expect((await readdir(store.dir)).sort()).toEqual(['LOCK', 'blobs', 'versions']);
    expect(await readFile(join(store.dir, 'LOCK'), 'utf8')).toBe(`${process.pid}\n`);
    await store.close();
    expect(await readdir(store.dir)).not.toContain('LOCK');
    await store.close(); // idempotent
  });

  it('refuses a second open of the same task, naming the pid that holds it', async () => {
    await t.open();
    const error = await t.open().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreLockedError);
    expect((error as StoreLockedError).pid).toBe(process.pid);
    expect((error as Error).message).toContain(`process ${process.pid}`);
    // Another task in the same data folder is independent.
    await expect(t.open('other-task')).resolves.toBeDefined();
  });

  it('refuses a lock held by another live process', async () => {
    const dir = taskDir(t.dataDir, 'test-task');
    await mkdir(dir, { recursive: true });
    expect(isProcessAlive(process.ppid)).toBe(true);
    await writeFile(join(dir, 'LOCK'), `${process.ppid}\n`);
    await expect(t.open()).rejects.toMatchObject({ name: 'StoreLockedError', pid: process.ppid });
    expect(await readFile(join(dir, 'LOCK'), 'utf8')).toBe(`${process.ppid}\n`);
  });

  it('can be opened again after close', async () => {
    const first = await t.open();
    const hash = await first.blobs.put(bytes('kept across restarts'));
    await first.close();
    const second = await t.open();
    expect(await second.blobs.get(hash)).toEqual(bytes('kept across restarts'));
  });

  it('takes over a stale lock (dead pid) with a warning', async () => {
    expect(isProcessAlive(DEAD_PID)).toBe(false);
    const dir = taskDir(t.dataDir, 'test-task');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'LOCK'), `${DEAD_PID}\n`);
    const store = await t.open();
    expect(await readFile(join(dir, 'LOCK'), 'utf8')).toBe(`${process.pid}\n`);
    expect(t.warnings.join('\n')).toMatch(new RegExp(`left by process ${DEAD_PID}, which is no longer running`));
    expect((await readdir(dir)).filter((n) => n.includes('stale'))).toEqual([]);
    await store.close();
  });

  it('takes over a lock that holds no pid', async () => {
    const dir = taskDir(t.dataDir, 'test-task');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'LOCK'), '');
    await t.open();
    expect(await readFile(join(dir, 'LOCK'), 'utf8')).toBe(`${process.pid}\n`);
    expect(t.warnings.join('\n')).toMatch(/held no valid pid/);
  });

  it('close does not remove a lock that is no longer ours', async () => {
    const store = await t.open();
    await writeFile(join(store.dir, 'LOCK'), `${process.ppid}\n`);
    await store.close();
    expect(await readFile(join(store.dir, 'LOCK'), 'utf8')).toBe(`${process.ppid}\n`);
  });

  it('removes temporary files an interrupted write left behind, everywhere in the store', async () => {
    const first = await t.open();
    const hash = await first.blobs.put(bytes('x'));
    await first.close();
    const shard = join(first.dir, 'blobs', hash.slice(0, 2));
    await writeFile(join(shard, `.${hash}.4242.0a0b0c.tmp`), 'half a bl');
    await writeFile(join(first.dir, 'versions', `.${'b'.repeat(64)}.json.4242.0a0b0c.tmp`), '{"rou');
    await writeFile(join(first.dir, 'notes.txt'), 'not ours, not a temp file');
    const second = await t.open();
    expect(second.removedTempFiles).toBe(2);
    expect(await readdir(shard)).toEqual([hash]);
    expect(await readdir(join(first.dir, 'versions'))).toEqual([]);
    expect(await readdir(first.dir)).toContain('notes.txt');
    expect(await second.blobs.list()).toEqual([hash]);
    expect(t.warnings.join('\n')).toMatch(/removed 2 temporary file/);
  });

  it('rejects task ids that are not path-safe slugs', async () => {
    for (const id of ['../escape', 'a/b', '..', 'UPPER', 'x', '']) {
      await expect(openTaskStore(t.dataDir, id)).rejects.toBeInstanceOf(StoreError);
    }
    expect(await readdir(t.dataDir)).toEqual([]);
  });
});

describe('task store across processes', () => {
  it('a second process is refused while the first runs, and takes over once it was killed', async () => {
    const storeIndex = new URL('../../node/store/index.ts', import.meta.url).href;
    const script =
      `const { openTaskStore } = await import(${JSON.stringify(storeIndex)});` +
      `await openTaskStore(${JSON.stringify(t.dataDir)}, 'test-task', { onWarning: () => {} });` +
      `process.stdout.write('locked\\n'); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
      expect(chunk.toString()).toBe('locked\n');
      const pid = child.pid ?? -1;
      await expect(t.open()).rejects.toMatchObject({ name: 'StoreLockedError', pid });
      child.kill('SIGKILL');
      await once(child, 'exit');
      const store = await t.open();
      expect(await readFile(join(store.dir, 'LOCK'), 'utf8')).toBe(`${process.pid}\n`);
      expect(t.warnings.join('\n')).toContain(`left by process ${pid}`);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
