import { describe, expect, it } from 'vitest';
import { waitForConnections, waitForMessage, waitForSubscribers } from '../../node/host/wait.ts';
import { deadline, hostPool, text, untext } from './helpers.ts';

const pool = hostPool();

describe('host over TCP', () => {
  it('connects two hosts with noise and yamux and exchanges a gossipsub message', async () => {
    const a = await pool.start();
    const b = await pool.start();
    const topic = 'gossipfl/test/tcp';
    a.services.pubsub.subscribe(topic);
    b.services.pubsub.subscribe(topic);

    const connection = await a.dial(b.getMultiaddrs(), { signal: deadline() });
    expect(connection.remotePeer.equals(b.peerId)).toBe(true);
    expect(connection.encryption).toBe('/noise');
    expect(connection.multiplexer).toBe('/yamux/1.0.0');
    expect(connection.remoteAddr.getComponents().map((c) => c.name)).toContain('tcp');
    await waitForConnections(b, 1, deadline());

    await waitForSubscribers(a.services.pubsub, topic, 1, deadline());
    const received = waitForMessage(b.services.pubsub, topic, undefined, deadline());
    const result = await a.services.pubsub.publish(topic, text('hello federation'));
    expect(result.recipients.map(String)).toContain(b.peerId.toString());

    const message = await received;
    expect(untext(message.data)).toBe('hello federation');
    expect(message.type).toBe('signed');
    if (message.type === 'signed') expect(message.from.equals(a.peerId)).toBe(true);
  });
});
