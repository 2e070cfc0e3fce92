import { describe, expect, it } from 'vitest';
import { waitForMessage, waitForSubscribers } from '../../node/host/wait.ts';
import { deadline, hostPool, LOOPBACK_WEBRTC, text, untext } from './helpers.ts';

const pool = hostPool();

describe('host over WebRTC Direct', () => {
  it('connects two Node hosts without a relay, over WebRTC only, and exchanges a message and a stream', async () => {
    const listener = await pool.start({ tcp: false, webrtc: true, listen: [LOOPBACK_WEBRTC] });
    const dialer = await pool.start({ tcp: false, webrtc: true, listen: [] });
    const address = listener.getMultiaddrs()[0];
    expect(address?.toString()).toMatch(/\/udp\/\d+\/webrtc-direct\/certhash\/[\w-]+\/p2p\//);
    if (address === undefined) throw new Error('no listen address');

    const echo = '/gossipfl/test/echo/1.0.0';
    await listener.handle(echo, async (stream) => {
      for await (const chunk of stream) stream.send(chunk);
      await stream.close();
    });

    const connection = await dialer.dial(address, { signal: deadline() });
    const names = connection.remoteAddr.getComponents().map((c) => c.name);
    expect(names).toContain('webrtc-direct');
    expect(names).not.toContain('tcp');
    expect(connection.remotePeer.equals(listener.peerId)).toBe(true);

    const stream = await dialer.dialProtocol(listener.peerId, echo, { signal: deadline() });
    stream.send(text('ping over webrtc'));
    await stream.close();
    let reply = '';
    for await (const chunk of stream) reply += untext(chunk.subarray());
    expect(reply).toBe('ping over webrtc');

    const topic = 'gossipfl/test/webrtc';
    listener.services.pubsub.subscribe(topic);
    dialer.services.pubsub.subscribe(topic);
    await waitForSubscribers(dialer.services.pubsub, topic, 1, deadline());
    const received = waitForMessage(listener.services.pubsub, topic, undefined, deadline());
    await dialer.services.pubsub.publish(topic, text('advert over webrtc'));
    expect(untext((await received).data)).toBe('advert over webrtc');
    for (const open of dialer.getConnections(listener.peerId)) {
      expect(open.remoteAddr.getComponents().map((c) => c.name)).toContain('webrtc-direct');
    }
  });
});
