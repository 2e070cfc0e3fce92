/**
 * The swarm-key crash: @libp2p/pnet's WASM xsalsa20 (memory capped at 1000 pages, shared by all
 * cipher instances) grows its memory on one > 640 KiB update, then again on nearly every update
 * that switches cipher instance, until `WebAssembly.Memory.grow()` throws — in an event listener,
 * which kills the process, or in a send, which kills the connection. Full-version pulls followed
 * by ordinary small traffic set it off. Our protector must carry the same traffic intact.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateSwarmKey } from '../../node/host/swarm-key.ts';
import { bulkExchange, echoRounds } from './bulk-transfer.ts';
import { deadline, hostPool } from './helpers.ts';

const pool = hostPool();
const MIB = 1024 * 1024;
const CHILD = fileURLToPath(new URL('./psk-traffic-child.ts', import.meta.url));

interface ChildOutcome {
  readonly code: number | null;
  readonly output: string;
}

function runChild(protector: 'ours' | 'pnet', mib: number, rounds: number): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CHILD, protector, String(mib), String(rounds)],
      { timeout: 100_000, maxBuffer: 16 * MIB, env: { ...process.env, DEBUG: 'libp2p:*:error' } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, output: `${stdout}\n${stderr}` });
      },
    );
  });
}

describe('PSK connection under heavy traffic', () => {
  it('carries 101 MiB each way over one connection, then 2000 small round trips, every byte intact', async () => {
    const swarmKey = generateSwarmKey();
    const a = await pool.start({ swarmKey });
    const b = await pool.start({ swarmKey });
    await a.dial(b.getMultiaddrs(), { signal: deadline() });

    const bulk = await bulkExchange(a, b, 101 * MIB, deadline(90_000));
    expect(bulk.dialer.sentBytes).toBe(101 * MIB);
    expect(bulk.listener.sentBytes).toBe(101 * MIB);
    expect(bulk.listener.receivedBytes).toBe(101 * MIB);
    expect(bulk.listener.receivedSha256).toBe(bulk.dialer.sentSha256);
    expect(bulk.dialer.receivedSha256).toBe(bulk.listener.sentSha256);
    expect(await echoRounds(a, b, 2_000, deadline(60_000))).toBe(2_000);
    expect(a.getConnections(b.peerId)).toHaveLength(1);
    const megabytesPerSecond = (2 * 101 * MIB) / 1e6 / (bulk.milliseconds / 1000);
    console.log(`PSK bulk: 2 × 101 MiB in ${Math.round(bulk.milliseconds)} ms = ${megabytesPerSecond.toFixed(1)} MB/s`);
  });

  it('the same traffic (8 MiB each way, 2000 round trips) breaks @libp2p/pnet, not ours (child processes)', async () => {
    const [pnet, ours] = await Promise.all([runChild('pnet', 8, 2_000), runChild('ours', 8, 2_000)]);
    expect(pnet.code, pnet.output.slice(-2_000)).not.toBe(0);
    expect(pnet.output).toContain('WebAssembly.Memory.grow(): Maximum memory size exceeded');
    expect(ours.code, ours.output.slice(-2_000)).toBe(0);
    const result = JSON.parse(ours.output.split('\n').find((line) => line.startsWith('{')) ?? '{}') as { intact?: boolean; rounds?: number };
    expect(result).toMatchObject({ intact: true, rounds: 2_000 });
  });
});
