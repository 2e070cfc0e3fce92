import { describe, expect, it } from 'vitest';
import { generateSwarmKey } from '../../node/host/swarm-key.ts';
import { waitForDisconnect } from '../../node/host/wait.ts';
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
