/**
 * What the worst member (or a stranger) can do to the PSK handshake: send part of a nonce and
 * close, send nothing at all, or make us give up a dial half-way. Each must fail that one
 * connection with a clear error, leave no timer behind, and leave the host serving others.
 */
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { multiaddr } from '@multiformats/multiaddr';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PskConnectionProtector } from '../../node/host/psk-protector.ts';
import { generateSwarmKey } from '../../node/host/swarm-key.ts';
import type { Host } from '../../node/host/host.ts';
import { waitForPeer } from '../../node/host/wait.ts';
import { deadline } from './helpers.ts';
import { HandshakeRecord, protectedHostPool } from './psk-hosts.ts';

const pool = protectedHostPool();
/** A handshake timeout no other timer in the process uses, so the test can find ours. */
const DISTINCT_TIMEOUT_MS = 4_321;

const sockets: Socket[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  vi.restoreAllMocks();
});

/** Records the handshake timers (those set for `delayMs`) and which of them were cleared. */
function watchHandshakeTimers(delayMs: number): { created: unknown[]; cleared: Set<unknown> } {
  const created: unknown[] = [];
  const cleared = new Set<unknown>();
  const realSetTimeout = globalThis.setTimeout;
  const realClearTimeout = globalThis.clearTimeout;
  vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: (...args: unknown[]) => void, ms?: number, ...rest: unknown[]) => {
    const timer = realSetTimeout(callback, ms, ...rest);
    if (ms === delayMs) created.push(timer);
    return timer;
  }) as typeof setTimeout);
  vi.spyOn(globalThis, 'clearTimeout').mockImplementation(((timer?: Parameters<typeof clearTimeout>[0]) => {
    cleared.add(timer);
    realClearTimeout(timer);
  }) as typeof clearTimeout);
  return { created, cleared };
}

function tcpPort(host: Host): number {
  const address = host.getMultiaddrs()[0];
  if (address === undefined) throw new Error('the host listens nowhere');
  return Number(address.getComponents().find((component) => component.name === 'tcp')?.value);
}

/** Resolves when `socket` closes, whether cleanly or by a reset (events.once would reject on 'error'). */
function socketClosed(socket: Socket, signal = deadline()): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(new Error('the host did not close the socket in time'));
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('close', () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

/** A plain TCP client; what it receives is collected (reading also lets it see the host close). */
async function rawConnect(port: number): Promise<{ socket: Socket; received: Buffer[] }> {
  const socket = createConnection({ host: '127.0.0.1', port });
  sockets.push(socket);
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  socket.on('error', () => {}); // a reset by the host is an expected outcome here
  await once(socket, 'connect', { signal: deadline() });
  return { socket, received };
}

describe('PSK handshake failures', () => {
  it('fails a peer that sends 10 of its 24 nonce bytes and closes, and keeps serving members', async () => {
    const swarmKey = generateSwarmKey();
    const record = new HandshakeRecord();
    const timers = watchHandshakeTimers(DISTINCT_TIMEOUT_MS);
    const host = await pool.start({ kind: 'recorded', record, init: { swarmKey, handshakeTimeoutMs: DISTINCT_TIMEOUT_MS } });

    const { socket } = await rawConnect(tcpPort(host));
    const closed = socketClosed(socket);
    socket.end(new Uint8Array(10).fill(7));
    const failure = await record.nextFailure(deadline());
    expect(failure.name).toBe('PskHandshakeError');
    expect(failure.message).toMatch(/after sending 10 of its 24 nonce bytes/);
    await closed;
    expect(timers.created).toHaveLength(1);
    expect(timers.cleared.has(timers.created[0])).toBe(true);

    const member = await pool.start({ kind: 'ours', swarmKey });
    await member.dial(host.getMultiaddrs(), { signal: deadline() });
    await waitForPeer(host, member.peerId, deadline());
    expect(host.getConnections(member.peerId)).toHaveLength(1);
    expect(record.outcomes.at(-1)).toBe('protected');
  });

  it('fails a peer that connects and closes at once, before or during the handshake', async () => {
    const record = new HandshakeRecord();
    const host = await pool.start({ kind: 'recorded', record, init: { swarmKey: generateSwarmKey(), handshakeTimeoutMs: 5_000 } });
    const { socket } = await rawConnect(tcpPort(host));
    const closed = socketClosed(socket);
    socket.end();
    const failure = await record.nextFailure(deadline());
    // Either the connection closed before libp2p asked for protection, or during the nonce wait.
    expect(failure.name).toBe('PskHandshakeError');
    expect(failure.message).toMatch(/already closed|after sending 0 of its 24 nonce bytes/);
    await closed;
  });

  it('times out a peer that never sends its nonce and closes its socket', async () => {
    const record = new HandshakeRecord();
    const host = await pool.start({ kind: 'recorded', record, init: { swarmKey: generateSwarmKey(), handshakeTimeoutMs: 300 } });
    const { socket, received } = await rawConnect(tcpPort(host));
    const closed = socketClosed(socket);
    // The host's nonce arrives, then nothing more: it gives up after 300 ms and drops the socket.
    const failure = await record.nextFailure(deadline());
    expect(failure.name).toBe('PskHandshakeTimeoutError');
    expect(failure.message).toMatch(/sent 0 of its 24 nonce bytes in 300 ms/);
    await closed;
    expect(Buffer.concat(received).byteLength).toBe(24);
    expect(host.getConnections()).toHaveLength(0);
  });

  it('fails a dial with PskHandshakeAbortedError when the dial is aborted before the nonce arrives', async () => {
    const record = new HandshakeRecord();
    const timers = watchHandshakeTimers(DISTINCT_TIMEOUT_MS);
    const host = await pool.start({
      kind: 'recorded',
      record,
      init: { swarmKey: generateSwarmKey(), handshakeTimeoutMs: DISTINCT_TIMEOUT_MS },
    });
    // A TCP listener that accepts and never says a word.
    const accepted: Socket[] = [];
    const silent = createServer((socket) => {
      accepted.push(socket);
      sockets.push(socket);
    });
    servers.push(silent);
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening', { signal: deadline() });
    const port = (silent.address() as { port: number }).port;

    const dial = host.dial(multiaddr(`/ip4/127.0.0.1/tcp/${port}`), { signal: AbortSignal.timeout(300) });
    await expect(dial).rejects.toThrow();
    const failure = await record.nextFailure(deadline());
    expect(failure.name).toBe('PskHandshakeAbortedError');
    expect(accepted).toHaveLength(1);
    expect(timers.created).toHaveLength(1);
    expect(timers.cleared.has(timers.created[0])).toBe(true);
  });

  it('refuses a key that is not 32 bytes and a timeout that is not positive', () => {
    expect(() => new PskConnectionProtector({ swarmKey: { bytes: new Uint8Array(31) } })).toThrow(RangeError);
    expect(() => new PskConnectionProtector({ swarmKey: generateSwarmKey(), handshakeTimeoutMs: 0 })).toThrow(RangeError);
  });
});
