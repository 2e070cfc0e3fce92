/**
 * # The blob protocol, `/gossipfl/blob/1.0.0`
 *
 * Any peer holding a blob (a model version, a delta) serves it by its content hash: the
 * sha256 of its bytes. One stream carries one request and its answer.
 *
 * ## Framing
 * Every message is a *frame*: an unsigned LEB128 varint (the multiformats unsigned-varint:
 * 7 bits per byte, least significant group first, high bit set on every byte but the last)
 * giving the body length L, then the L body bytes. Encoders use the shortest encoding;
 * decoders accept at most 4 length bytes (L < 2^28) and reject longer prefixes.
 * Multi-byte integers inside bodies are unsigned big-endian.
 *
 * ## Exchange
 * 1. The requester opens a stream with protocol `/gossipfl/blob/1.0.0` and sends one
 *    **request frame**, body exactly 41 bytes:
 *    | offset | size | field                                                         |
 *    |--------|------|---------------------------------------------------------------|
 *    | 0      | 1    | version, `0x01`                                               |
 *    | 1      | 32   | the blob's sha256, raw bytes (the `Hash` string is their hex) |
 *    | 33     | 8    | max bytes the requester accepts, uint64 (values above 2^53−1 mean 2^53−1) |
 *    It then closes its write side (half-close). It sends nothing else.
 * 2. The server answers with one **response header frame**, body exactly 10 bytes:
 *    | offset | size | field                                                          |
 *    |--------|------|----------------------------------------------------------------|
 *    | 0      | 1    | version, `0x01`                                                |
 *    | 1      | 1    | status: 0 ok, 1 not-found, 2 too-large, 3 busy, 4 bad-request  |
 *    | 2      | 8    | size, uint64: the blob's total byte length for ok and too-large, 0 otherwise |
 *    - `ok`: the server holds the blob and it fits the requester's max bytes (and the server's own limit).
 *    - `not-found`: the server does not hold that hash.
 *    - `too-large`: the blob is larger than the requester's max bytes or the server's limit.
 *    - `busy`: the server is at its concurrent-stream limit; try later or another holder.
 *    - `bad-request`: the request frame was malformed (wrong length, unknown version, truncated).
 * 3. After an `ok` header the server sends the blob as **chunk frames**: body = the next
 *    1 to 1 048 576 (1 MiB) bytes of the blob, in order; chunk bodies concatenate to exactly
 *    `size` bytes (no chunk frame at all for an empty blob; an empty chunk frame is invalid).
 *    No frame is ever larger than 1 MiB + 4 bytes, far below libp2p's 4 MiB read buffers,
 *    while a blob may be any size up to 2^53−1 bytes.
 * 4. The server closes its write side after the last frame (after the header for any status
 *    other than ok). Nothing else is sent.
 *
 * The requester MUST treat as a failure of that server: a header that is not 10 bytes or has
 * an unknown version or status; an ok size above its max bytes; a chunk frame of length 0 or
 * above 1 MiB; chunk bytes beyond `size`; any frame after the last chunk; the stream ending
 * before `size` bytes; and bytes whose sha256 differs from the requested hash. (It must not
 * allocate `size` bytes on the header's word: memory follows the bytes received. Per-holder time
 * limits — stall guard, size-scaled deadline — are requester behaviour: PROTOCOL §6.6.) On any failure
 * either side resets (aborts) the stream; a requester may also reset it as soon as it has read
 * a non-ok header. A server MAY reset a stream whose request does not arrive (or whose
 * requester does not close its write side) within its own timeout. A server MAY reset instead of answering when it
 * cannot read the blob. Servers do not run the protocol over limited (relayed) connections.
 */

export const BLOB_PROTOCOL = '/gossipfl/blob/1.0.0';
export const WIRE_VERSION = 1;
export const REQUEST_BODY_BYTES = 41;
export const RESPONSE_HEADER_BYTES = 10;
export const MAX_CHUNK_BYTES = 1024 * 1024;
/** Longest varint length prefix accepted: 4 bytes, i.e. frame bodies under 2^28 bytes. */
export const MAX_LENGTH_PREFIX_BYTES = 4;

export const STATUS = { ok: 0, 'not-found': 1, 'too-large': 2, busy: 3, 'bad-request': 4 } as const;
export type BlobStatus = keyof typeof STATUS;
const STATUS_NAMES: readonly BlobStatus[] = ['ok', 'not-found', 'too-large', 'busy', 'bad-request'];

export interface BlobRequest {
  /** Lowercase hex sha256. */
  readonly hash: string;
  readonly maxBytes: number;
}

export interface ResponseHeader {
  readonly status: BlobStatus;
  readonly size: number;
}

/** A wire-format violation; the message says which rule was broken. */
export class WireFormatError extends Error {
  override name = 'WireFormatError';
}

const HEX_HASH = /^[0-9a-f]{64}$/;

export function isHash(value: string): boolean {
  return HEX_HASH.test(value);
}

/** The varint encoding of `value` (a non-negative safe integer). */
export function encodeVarint(value: number): Uint8Array {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Uint8Array.from(bytes);
}

/** A whole frame: length prefix and body, as one buffer (for small bodies). */
export function frame(body: Uint8Array): Uint8Array {
  const prefix = encodeVarint(body.byteLength);
  const out = new Uint8Array(prefix.byteLength + body.byteLength);
  out.set(prefix, 0);
  out.set(body, prefix.byteLength);
  return out;
}

function writeUint64(view: DataView, offset: number, value: number): void {
  view.setBigUint64(offset, BigInt(value));
}

function readUint64(view: DataView, offset: number): number {
  const value = view.getBigUint64(offset);
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

/** The request frame (prefix included). */
export function encodeRequest(request: BlobRequest): Uint8Array {
  if (!isHash(request.hash)) throw new WireFormatError(`"${request.hash}" is not a lowercase hex sha256`);
  const body = new Uint8Array(REQUEST_BODY_BYTES);
  const view = new DataView(body.buffer);
  body[0] = WIRE_VERSION;
  body.set(Buffer.from(request.hash, 'hex'), 1);
  writeUint64(view, 33, request.maxBytes);
  return frame(body);
}

/** Parses a request frame body. */
export function decodeRequest(body: Uint8Array): BlobRequest {
  if (body.byteLength !== REQUEST_BODY_BYTES) {
    throw new WireFormatError(`request body is ${body.byteLength} bytes, expected ${REQUEST_BODY_BYTES}`);
  }
  if (body[0] !== WIRE_VERSION) throw new WireFormatError(`request version ${body[0]} is not ${WIRE_VERSION}`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  return { hash: Buffer.from(body.subarray(1, 33)).toString('hex'), maxBytes: readUint64(view, 33) };
}

/** The response header frame (prefix included). */
export function encodeResponseHeader(header: ResponseHeader): Uint8Array {
  const body = new Uint8Array(RESPONSE_HEADER_BYTES);
  body[0] = WIRE_VERSION;
  body[1] = STATUS[header.status];
  writeUint64(new DataView(body.buffer), 2, header.size);
  return frame(body);
}

export function decodeResponseHeader(body: Uint8Array): ResponseHeader {
  if (body.byteLength !== RESPONSE_HEADER_BYTES) {
    throw new WireFormatError(`response header is ${body.byteLength} bytes, expected ${RESPONSE_HEADER_BYTES}`);
  }
  if (body[0] !== WIRE_VERSION) throw new WireFormatError(`response version ${body[0]} is not ${WIRE_VERSION}`);
  const status = STATUS_NAMES[body[1] ?? -1];
  if (status === undefined) throw new WireFormatError(`unknown response status ${body[1]}`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  return { status, size: readUint64(view, 2) };
}

/** Receives the frames a FrameDecoder finds. Any of these may throw to reject the input. */
export interface FrameSink {
  /** A frame of `length` body bytes begins. */
  start(length: number): void;
  /** The next body bytes of the current frame: a view into received data, copy to keep. */
  data(bytes: Uint8Array): void;
  /** The current frame's body is complete. */
  end(): void;
}

/**
 * Splits a byte stream into frames incrementally, without buffering bodies: each received
 * piece is handed to the sink as views, so a consumer can copy chunk bytes straight into
 * their final place.
 */
export class FrameDecoder {
  readonly #sink: FrameSink;
  /** Body bytes still expected in the current frame; -1 while reading a length prefix. */
  #remaining = -1;
  #length = 0;
  #lengthBytes = 0;

  constructor(sink: FrameSink) {
    this.#sink = sink;
  }

  /** True when the input so far ends exactly at a frame boundary. */
  get atBoundary(): boolean {
    return this.#remaining === -1 && this.#lengthBytes === 0;
  }

  feed(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.byteLength) {
      if (this.#remaining === -1) {
        const byte = bytes[at++] ?? 0;
        this.#length += (byte & 0x7f) * 2 ** (7 * this.#lengthBytes);
        this.#lengthBytes++;
        if ((byte & 0x80) !== 0) {
          if (this.#lengthBytes >= MAX_LENGTH_PREFIX_BYTES) {
            throw new WireFormatError(`frame length prefix longer than ${MAX_LENGTH_PREFIX_BYTES} bytes`);
          }
          continue;
        }
        this.#remaining = this.#length;
        this.#length = 0;
        this.#lengthBytes = 0;
        this.#sink.start(this.#remaining);
        if (this.#remaining === 0) this.#finishFrame();
        continue;
      }
      const take = Math.min(this.#remaining, bytes.byteLength - at);
      this.#remaining -= take;
      this.#sink.data(bytes.subarray(at, at + take));
      at += take;
      if (this.#remaining === 0) this.#finishFrame();
    }
  }

  #finishFrame(): void {
    this.#remaining = -1;
    this.#sink.end();
  }
}
