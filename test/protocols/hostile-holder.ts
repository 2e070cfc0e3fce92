/**
 * A hostile blob holder for tests: a real libp2p host that handles `/gossipfl/blob/1.0.0`, reads
 * the request like any server, then misbehaves in one chosen way. Every timer it starts is
 * cleared when the stream closes or is reset, so it leaves nothing running.
 */
import type { Stream } from '@libp2p/interface';
import type { Host } from '../../node/host/host.ts';
import { BLOB_PROTOCOL, encodeResponseHeader, encodeVarint, frame } from '../../protocols/blob/wire.ts';

export type Misbehaviour =
  /** Reads the request and never sends a byte. */
  | { readonly kind: 'never-answers' }
  /** An ok header announcing `size` and the first `sendBytes` bytes (zeros), then silence. */
  | { readonly kind: 'announces-then-stalls'; readonly size: number; readonly sendBytes: number }
  /** An ok header announcing `size`, then one byte every `everyMs` as one-byte chunk frames. */
  | { readonly kind: 'trickles'; readonly size: number; readonly everyMs: number }
  /** An ok header announcing `size`, then `body` as chunk frames (more or other than announced), then a clean close. */
  | { readonly kind: 'announces'; readonly size: number; readonly body: Uint8Array }
  /** The whole of `body`, correctly framed, and then the stream is never closed. */
  | { readonly kind: 'never-closes'; readonly body: Uint8Array }
  /** An ok header announcing `body`'s size, a chunk frame header for all of it, only `cutAt` of its bytes, then a clean close. */
  | { readonly kind: 'closes-mid-chunk'; readonly body: Uint8Array; readonly cutAt: number };

export interface HostileHolder {
  /** Requests read so far. */
  readonly requests: number;
  /** Resolves when the first response header has been sent. */
  readonly headerSent: Promise<void>;
}

const CHUNK = 64 * 1024;

/** Makes `host` answer every blob request with `misbehaviour`. */
export async function hostileHolder(host: Host, misbehaviour: Misbehaviour): Promise<HostileHolder> {
  let requests = 0;
  const { promise: headerSent, resolve: onHeaderSent } = Promise.withResolvers<void>();
  const sendHeader = (stream: Stream, size: number): void => {
    stream.send(encodeResponseHeader({ status: 'ok', size }));
    onHeaderSent();
  };
  await host.handle(BLOB_PROTOCOL, async (stream) => {
    try {
      for await (const _ of stream) {
        // the request; the requester then closes its side
      }
      requests++;
      await misbehave(stream, misbehaviour, sendHeader);
    } catch (error) {
      stream.abort(error instanceof Error ? error : new Error(String(error)));
    }
  });
  return {
    get requests() {
      return requests;
    },
    headerSent,
  };
}

async function misbehave(stream: Stream, misbehaviour: Misbehaviour, sendHeader: (stream: Stream, size: number) => void): Promise<void> {
  switch (misbehaviour.kind) {
    case 'never-answers':
      return;
    case 'announces-then-stalls':
      sendHeader(stream, misbehaviour.size);
      if (misbehaviour.sendBytes > 0) stream.send(frame(new Uint8Array(misbehaviour.sendBytes)));
      return;
    case 'trickles': {
      sendHeader(stream, misbehaviour.size);
      const oneByte = frame(Uint8Array.of(0x55));
      const timer = setInterval(() => {
        if (stream.status === 'open') stream.send(oneByte);
      }, misbehaviour.everyMs);
      stream.addEventListener('close', () => clearInterval(timer), { once: true });
      return;
    }
    case 'announces':
      sendHeader(stream, misbehaviour.size);
      for (let at = 0; at < misbehaviour.body.byteLength; at += CHUNK) stream.send(frame(misbehaviour.body.subarray(at, at + CHUNK)));
      await stream.close();
      return;
    case 'never-closes':
      sendHeader(stream, misbehaviour.body.byteLength);
      for (let at = 0; at < misbehaviour.body.byteLength; at += CHUNK) stream.send(frame(misbehaviour.body.subarray(at, at + CHUNK)));
      return;
    case 'closes-mid-chunk':
      sendHeader(stream, misbehaviour.body.byteLength);
      stream.send(encodeVarint(misbehaviour.body.byteLength));
      stream.send(misbehaviour.body.subarray(0, misbehaviour.cutAt));
      await stream.close();
      return;
    default: {
      const unknown: never = misbehaviour;
      throw new Error(`unknown misbehaviour ${JSON.stringify(unknown)}`);
    }
  }
}
