import { once } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { generateSwarmKey } from '../../node/host/swarm-key.ts';
import { waitForDisconnect } from '../../node/host/wait.ts';
import { XSalsa20Stream } from '../../node/host/xsalsa20-stream.ts';
import { bulkExchange, echoRounds } from './bulk-transfer.ts';
import { deadline, expectRefused } from './helpers.ts';
import { protectedHostPool } from './psk-hosts.ts';

const pool = protectedHostPool();

describe('our PSK v1 protector and @libp2p/pnet', () => {
  it('connect in both directions with the same key and carry data both ways', async () => {
    const swarmKey = generateSwarmKey();
    const ours = await pool.start({ kind: 'ours', swarmKey });
    const pnet = await pool.start({ kind: 'pnet', swarmKey: { bytes: swarmKey.bytes.slice() } });

    for (const [dialer, listener] of [
      [ours, pnet],
      [pnet, ours],
    ] as const) {
      const connection = await dialer.dial(listener.getMultiaddrs(), { signal: deadline() });
      expect(connection.direction).toBe('outbound');
      expect(await echoRounds(dialer, listener, 20, deadline())).toBe(20);
      const bulk = await bulkExchange(dialer, listener, 1024 * 1024 + 333, deadline(30_000));
      expect(bulk.dialer.sentBytes).toBe(1024 * 1024 + 333);
      expect(bulk.listener.receivedSha256).toBe(bulk.dialer.sentSha256);
      expect(bulk.dialer.receivedSha256).toBe(bulk.listener.sentSha256);
      expect(dialer.getConnections(listener.peerId)).toHaveLength(1);
      await dialer.hangUp(listener.peerId, { signal: deadline() });
      await waitForDisconnect(listener, dialer.peerId, deadline());
    }
  });

  it('refuse each other with different keys, in both directions', async () => {
    const ours = await pool.start({ kind: 'ours', swarmKey: generateSwarmKey() });
    const pnet = await pool.start({ kind: 'pnet', swarmKey: generateSwarmKey() });
    // Different keys turn the noise handshake into garbage: it fails at once, or stalls until the
    // dial deadline when the garbage reads as a long length prefix (see pnet.test.ts).
    const outcomes = await Promise.all([
      expectRefused(ours, pnet, undefined, deadline(2_000)),
      expectRefused(pnet, ours, undefined, deadline(2_000)),
    ]);
    expect(outcomes).toEqual(['dial failed', 'dial failed']);
    expect(ours.getConnections()).toHaveLength(0);
  });
});

describe('a hand-written PSK v1 client on a raw TCP socket', () => {
  it.each(['ours', 'pnet'] as const)('talks multistream-select with a host running %s, its nonce sent byte by byte', async (kind) => {
    const swarmKey = generateSwarmKey();
    const host = await pool.start({ kind, swarmKey });
    const address = host.getMultiaddrs()[0]!.getComponents();
    const port = Number(address.find((component) => component.name === 'tcp')?.value);
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.setNoDelay(true);
    socket.on('error', () => {});
    try {
      const received: Buffer[] = [];
      const enough = Promise.withResolvers<void>();
      enough.promise.catch(() => {}); // awaited below; the host may close before that
      const expectedReply = multistreamLine('/multistream/1.0.0');
      socket.on('data', (chunk: Buffer) => {
        received.push(chunk);
        if (Buffer.concat(received).byteLength >= 24 + expectedReply.byteLength) enough.resolve();
      });
      socket.on('close', () => enough.reject(new Error('the host closed the connection')));
      await once(socket, 'connect', { signal: deadline() });

      const clientNonce = Uint8Array.from({ length: 24 }, (_, i) => i + 1);
      for (const byte of clientNonce) await write(socket, Uint8Array.of(byte));
      const outbound = new XSalsa20Stream(swarmKey.bytes, clientNonce);
      await write(socket, outbound.process(Buffer.concat([expectedReply, multistreamLine('/noise')])));

      await withDeadline(enough.promise, deadline());
      const bytes = Buffer.concat(received);
      const inbound = new XSalsa20Stream(swarmKey.bytes, bytes.subarray(0, 24));
      const reply = Buffer.from(inbound.process(bytes.subarray(24, 24 + expectedReply.byteLength)));
      expect(reply.toString('latin1')).toBe(expectedReply.toString('latin1'));
    } finally {
      socket.destroy();
    }
  });
});

/** A multistream-select message: unsigned-varint length (one byte here), then the line and "\n". */
function multistreamLine(text: string): Buffer {
  const line = Buffer.from(`${text}\n`);
  return Buffer.concat([Uint8Array.of(line.byteLength), line]);
}

function write(socket: Socket, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => socket.write(bytes, (error) => (error == null ? resolve() : reject(error))));
}

async function withDeadline<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  let onAbort = (): void => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
