/**
 * Where a blob's chunk bytes land as they arrive. Memory follows what was received, never what
 * a holder announced: an 11-byte header announcing 64 MiB costs nothing until the bytes come.
 *
 * The bytes go into a resizable ArrayBuffer whose maximum is the announced size: it only
 * reserves address space, and is grown in place (64 KiB on the first byte, then doubling,
 * capped at the size), so the bytes are copied exactly once, from the network buffers to their
 * final place, and memory in use stays within max(64 KiB, 2 × received) — pages are only made
 * resident as bytes are written into them. The complete blob is returned as a fixed-length view
 * of that buffer, without a further copy. Where a resizable buffer cannot be had (an old
 * runtime, a size beyond what can be reserved), a plain array is grown the same way by copying.
 */

/** The first allocation: small enough that a stalling holder costs next to nothing. */
export const INITIAL_RECEIVE_CAPACITY = 64 * 1024;

let allocatedTotal = 0;

/**
 * Bytes all ReceiveBuffers have allocated (grown by) in this process so far — a diagnostic: a
 * resizable buffer's growth is not visible in `process.memoryUsage().arrayBuffers`.
 */
export function receiveBytesAllocated(): number {
  return allocatedTotal;
}

export class ReceiveBuffer {
  /** The announced total; `append` never exceeds it (the caller checks frames first). */
  readonly size: number;
  #buffer: ArrayBuffer;
  #bytes: Uint8Array;
  #length = 0;

  constructor(size: number) {
    this.size = size;
    this.#buffer = reserve(size);
    this.#bytes = new Uint8Array(this.#buffer);
  }

  /** Bytes received so far. */
  get length(): number {
    return this.#length;
  }

  /** Bytes allocated so far (for tests and diagnostics). */
  get capacity(): number {
    return this.#buffer.byteLength;
  }

  /** True when the bytes grow in place (a resizable buffer), false when growing copies. */
  get growsInPlace(): boolean {
    return this.#buffer.resizable === true;
  }

  get complete(): boolean {
    return this.#length === this.size;
  }

  /** Copies `bytes` in after what was received. Throws a RangeError past the announced size. */
  append(bytes: Uint8Array): void {
    const needed = this.#length + bytes.byteLength;
    if (needed > this.size) throw new RangeError(`${needed} bytes would exceed the announced ${this.size}`);
    if (needed > this.#buffer.byteLength) this.#grow(needed);
    this.#bytes.set(bytes, this.#length);
    this.#length = needed;
  }

  /** The received bytes: a fixed-length view of the buffer itself once complete, else a copy of the part received. */
  result(): Uint8Array {
    if (this.#length === this.#buffer.byteLength) return new Uint8Array(this.#buffer, 0, this.#length);
    return this.#bytes.slice(0, this.#length);
  }

  #grow(needed: number): void {
    const doubled = Math.max(INITIAL_RECEIVE_CAPACITY, this.#buffer.byteLength * 2);
    const capacity = Math.min(this.size, Math.max(needed, doubled));
    if (this.#buffer.resizable === true) {
      allocatedTotal += capacity - this.#buffer.byteLength;
      this.#buffer.resize(capacity);
      this.#bytes = new Uint8Array(this.#buffer, 0, capacity);
      return;
    }
    allocatedTotal += capacity;
    const grown = new Uint8Array(capacity);
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#buffer = grown.buffer;
    this.#bytes = grown;
  }
}

/** An empty buffer that can grow to `size`: resizable when the runtime can reserve it, else fixed (and replaced when growing). */
function reserve(size: number): ArrayBuffer {
  if (size === 0) return new ArrayBuffer(0);
  try {
    return new ArrayBuffer(0, { maxByteLength: size });
  } catch {
    return new ArrayBuffer(0);
  }
}
