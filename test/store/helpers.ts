import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { openTaskStore, type TaskStore } from '../../node/store/index.ts';

export interface Fixture {
  dataDir: string;
  warnings: string[];
  open(taskId?: string): Promise<TaskStore>;
}

/** A temp data folder per test, removed afterwards; stores opened through it are closed. */
export function useTempStore(): Fixture {
  const opened: TaskStore[] = [];
  const fixture: Fixture = {
    dataDir: '',
    warnings: [],
    async open(taskId = 'test-task') {
      const store = await openTaskStore(fixture.dataDir, taskId, { onWarning: (m) => fixture.warnings.push(m) });
      opened.push(store);
      return store;
    },
  };
  beforeEach(async () => {
    fixture.dataDir = await mkdtemp(join(tmpdir(), 'gossipfl-store-'));
    fixture.warnings = [];
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    await rm(fixture.dataDir, { recursive: true, force: true });
  });
  return fixture;
}

export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** A deterministic fake hash derived from a label (for records whose blobs are not needed). */
export function fakeHash(label: string): string {
  let out = '';
  for (let i = 0; out.length < 64; i += 1) out += ((label.charCodeAt(i % label.length) * 31 + i) % 16).toString(16);
  return out;
}
