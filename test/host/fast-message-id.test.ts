/**
 * The gossipsub fast message id (node/host/host.ts): identical copies of a message share it, so
 * gossipsub drops them before verifying their signature again; any other message gets another.
 */
import { describe, expect, it } from 'vitest';
import { fastMessageId } from '../../node/host/host.ts';
import { hostPool } from './helpers.ts';

const pool = hostPool();

const message = {
  topic: 'gossipfl/task',
  from: Uint8Array.of(1, 2, 3),
  seqno: Uint8Array.of(0, 0, 0, 7),
  data: Uint8Array.of(9, 8, 7),
  signature: Uint8Array.of(5, 5, 5, 5),
  key: undefined,
};

describe('fastMessageId', () => {
  it('is the same for a copy and differs when any field differs', () => {
    const id = fastMessageId({ ...message });
    expect(fastMessageId({ ...message, data: Uint8Array.of(9, 8, 7) })).toBe(id);
    for (const changed of [
      { topic: 'gossipfl/other' },
      { from: Uint8Array.of(1, 2, 4) },
      { seqno: Uint8Array.of(0, 0, 0, 8) },
      { data: Uint8Array.of(9, 8) },
      { signature: Uint8Array.of(5, 5, 5, 6) },
      { key: Uint8Array.of(1) },
      // Bytes moved from one field to the next are another message.
      { from: Uint8Array.of(1, 2), seqno: Uint8Array.of(3, 0, 0, 0, 7) },
    ]) {
      expect(fastMessageId({ ...message, ...changed }), JSON.stringify(Object.keys(changed))).not.toBe(id);
    }
  });

  it('is what the host gives gossipsub', async () => {
    const host = await pool.start();
    expect((host.services.pubsub as unknown as { fastMsgIdFn?: unknown }).fastMsgIdFn).toBe(fastMessageId);
  });
});
