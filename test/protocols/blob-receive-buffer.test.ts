/** ReceiveBuffer: memory follows the bytes received, never the size a holder announced. */
import { describe, expect, it } from 'vitest';
import { INITIAL_RECEIVE_CAPACITY, ReceiveBuffer } from '../../protocols/blob/receive-buffer.ts';

describe('ReceiveBuffer', () => {
  it('allocates nothing for an announced size, then at most max(64 KiB, 2 × received), ending at exactly the size', () => {
    const size = 10 * 1024 * 1024 + 3;
    const buffer = new ReceiveBuffer(size);
    expect(buffer.capacity).toBe(0);
    let sent = 0;
    let value = 0;
    const pieces = [1, 10, 70_000, 1024 * 1024, 4_000_000];
    pieces.push(size - pieces.reduce((sum, piece) => sum + piece, 0));
    for (const piece of pieces) {
      const bytes = Uint8Array.from({ length: piece }, () => value++ & 0xff);
      buffer.append(bytes);
      sent += piece;
      expect(buffer.length).toBe(sent);
      expect(buffer.capacity).toBeLessThanOrEqual(Math.max(INITIAL_RECEIVE_CAPACITY, 2 * sent));
    }
    expect(sent).toBe(size);
    expect(buffer.complete).toBe(true);
    const result = buffer.result();
    expect(result.byteLength).toBe(size);
    expect(result.buffer.byteLength).toBe(size);
    // Grown in place on Node 22: the bytes were copied once, and the result is that buffer.
    expect(buffer.growsInPlace).toBe(true);
    expect(result.every((byte, i) => byte === (i & 0xff))).toBe(true);
  });

  it('falls back to growing by copying when the size cannot be reserved', () => {
    const buffer = new ReceiveBuffer(Number.MAX_SAFE_INTEGER);
    expect(buffer.growsInPlace).toBe(false);
    buffer.append(Uint8Array.of(1, 2));
    buffer.append(new Uint8Array(INITIAL_RECEIVE_CAPACITY));
    expect(buffer.capacity).toBe(2 * INITIAL_RECEIVE_CAPACITY);
    expect([...buffer.result().subarray(0, 3)]).toEqual([1, 2, 0]);
    expect(buffer.result().byteLength).toBe(INITIAL_RECEIVE_CAPACITY + 2);
  });

  it('refuses bytes past the announced size, and returns only what arrived when incomplete', () => {
    const buffer = new ReceiveBuffer(5);
    buffer.append(Uint8Array.of(1, 2, 3));
    expect(() => buffer.append(Uint8Array.of(4, 5, 6))).toThrow(RangeError);
    expect([...buffer.result()]).toEqual([1, 2, 3]);
    expect(new ReceiveBuffer(0).result().byteLength).toBe(0);
  });
});
