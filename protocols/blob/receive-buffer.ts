/**
 * Where a blob's chunk bytes land as they arrive. Memory follows what was received, never what
 * a holder announced: the array starts at `min(size, 64 KiB)` on the first byte and doubles
 * (capped at the announced size) only when full, so at most max(64 KiB, 2 × received) bytes
 * are ever allocated — an 11-byte header announcing 64 MiB costs nothing until 32 MiB have
 * actually arrived. Bytes are copied once from the network buffers; the doublings copy less
 * than the blob's size in total, and the last one leaves an array of exactly the announced
 * size, returned without a further copy.
 */

/** The first allocation: small enough that a stalling holder costs next to nothing. */
export const INITIAL_RECEIVE_CAPACITY = 64 * 1024;

export class ReceiveBuffer {
  /** The announced total; `append` never exceeds it (the caller checks frames first). */
  readonly size: number;
  #bytes: Uint8Array = new Uint8Array(0);
  #length = 0;

  constructor(size: number) {
    this.size = size;
  }

  /** Bytes received so far. */
  get length(): number {
    return this.#length;
  }

  /** Bytes allocated so far (for tests and diagnostics). */
  get capacity(): number {
    return this.#bytes.byteLength;
  }

  get complete(): boolean {
    return this.#length === this.size;
  }

  /** Copies `bytes` in after what was received. Throws a RangeError past the announced size. */
  append(bytes: Uint8Array): void {
    const needed = this.#length + bytes.byteLength;
    if (needed > this.size) throw new RangeError(`${needed} bytes would exceed the announced ${this.size}`);
    if (needed > this.#bytes.byteLength) this.#grow(needed);
    this.#bytes.set(bytes, this.#length);
    this.#length = needed;
  }

  /** The received bytes: the array itself once complete, else a copy of the part received. */
  result(): Uint8Array {
    if (this.#length === this.#bytes.byteLength) return this.#bytes;
    return this.#bytes.slice(0, this.#length);
  }

  #grow(needed: number): void {
    const doubled = Math.max(INITIAL_RECEIVE_CAPACITY, this.#bytes.byteLength * 2);
    const grown = new Uint8Array(Math.min(this.size, Math.max(needed, doubled)));
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
  }
}
