/**
 * A libp2p 3 ConnectionProtector for private networks: libp2p PSK v1 (the `swarm.key` of
 * go-libp2p, kubo and @libp2p/pnet), byte-compatible with them, on the audited pure-JS XSalsa20
 * of `@noble/ciphers`. It replaces @libp2p/pnet, whose WASM cipher runs out of memory under
 * ordinary traffic (`WebAssembly.Memory.grow(): Maximum memory size exceeded`).
 *
 * The handshake (docs/PROTOCOL.md §2.3): each side sends 24 random bytes (its nonce) and reads
 * the other's 24; from then on every byte it sends is XORed with XSalsa20(psk, local nonce) and
 * every byte it receives with XSalsa20(psk, remote nonce), each keystream running continuously
 * over its direction of the connection. There is no check that the keys match: with different
 * keys the layer above (noise) reads garbage and fails.
 *
 *     connectionProtector: pskProtector({ swarmKey })
 */
import type { AbortOptions, ConnectionProtector, MessageStream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface';
import { AbstractMessageStream, StreamClosedError, type SendResult } from '@libp2p/utils';
import { GossipflError } from '../errors.ts';
import type { SwarmKey } from './swarm-key.ts';
import { XSALSA20_NONCE_LENGTH, XSalsa20Stream } from './xsalsa20-stream.ts';

/** The PSK handshake failed: the peer closed, or sent no complete nonce. */
export class PskHandshakeError extends GossipflError {
  override name = 'PskHandshakeError';
}

/** The peer did not send its 24-byte nonce within the handshake timeout. */
export class PskHandshakeTimeoutError extends PskHandshakeError {
  override name = 'PskHandshakeTimeoutError';
}

/** The caller's abort signal ended the handshake (e.g. the dial was cancelled). */
export class PskHandshakeAbortedError extends PskHandshakeError {
  override name = 'PskHandshakeAbortedError';
}

export interface PskProtectorInit {
  readonly swarmKey: SwarmKey;
  /** Milliseconds to wait for the peer's nonce, on top of the caller's abort signal. Default 5 000. */
  readonly handshakeTimeoutMs?: number;
}

export const DEFAULT_PSK_HANDSHAKE_TIMEOUT_MS = 5_000;
const WHY_IT_FAILS = 'the peer is not a member of this private network (no swarm key), or not a libp2p PSK v1 peer';

/** For libp2p's `connectionProtector` option. */
export function pskProtector(init: PskProtectorInit): () => ConnectionProtector {
  const protector = new PskConnectionProtector(init);
  return () => protector;
}

export class PskConnectionProtector implements ConnectionProtector {
  readonly [Symbol.toStringTag] = 'gossipfl/psk-protector';
  readonly #key: Uint8Array;
  readonly #handshakeTimeoutMs: number;

  constructor(init: PskProtectorInit) {
    if (init.swarmKey.bytes.byteLength !== 32) {
      throw new RangeError(`a swarm key is 32 bytes, got ${init.swarmKey.bytes.byteLength}`);
    }
    const timeout = init.handshakeTimeoutMs ?? DEFAULT_PSK_HANDSHAKE_TIMEOUT_MS;
    if (!Number.isFinite(timeout) || timeout <= 0) throw new RangeError(`handshakeTimeoutMs must be > 0, got ${timeout}`);
    this.#key = init.swarmKey.bytes.slice();
    this.#handshakeTimeoutMs = timeout;
  }

  /**
   * Sends this side's nonce, waits for the peer's, and returns the connection wrapped in the
   * cipher. On any failure the connection is aborted and a PskHandshakeError (or subclass) thrown.
   */
  async protect(connection: MessageStream, options: AbortOptions = {}): Promise<MessageStream> {
    const log = connection.log.newScope('psk');
    const localNonce = crypto.getRandomValues(new Uint8Array(XSALSA20_NONCE_LENGTH));
    if (connection.status !== 'open') {
      throw new PskHandshakeError(`cannot protect a connection that is already ${connection.status}`);
    }
    const protectedStream = new PskProtectedStream(connection, this.#key, localNonce, log);
    try {
      options.signal?.throwIfAborted();
      connection.send(localNonce);
      await protectedStream.handshake(this.#handshakeTimeoutMs, options.signal);
    } catch (error) {
      const failure = asHandshakeError(error, options.signal);
      protectedStream.abort(failure);
      throw failure;
    }
    log('exchanged nonces');
    return protectedStream;
  }
}

function asHandshakeError(error: unknown, signal: AbortSignal | undefined): PskHandshakeError {
  if (error instanceof PskHandshakeError) return error;
  if (signal?.aborted === true) {
    return new PskHandshakeAbortedError('the PSK handshake was aborted before the peer sent its nonce', { cause: signal.reason });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new PskHandshakeError(`cannot send the PSK nonce: ${message}`, { cause: error });
}

/**
 * The connection seen through the cipher. Until the peer's nonce is complete it only collects
 * nonce bytes (anything after them in the same chunk is already ciphertext); then it decrypts
 * everything the connection delivers and encrypts everything sent. One set of listeners on the
 * inner connection from construction on, removed once this stream is closed, so no byte can
 * arrive between the handshake and the cipher.
 */
class PskProtectedStream extends AbstractMessageStream {
  readonly #inner: MessageStream;
  readonly #key: Uint8Array;
  readonly #outbound: XSalsa20Stream;
  #inbound: XSalsa20Stream | undefined;
  readonly #remoteNonce = new Uint8Array(XSALSA20_NONCE_LENGTH);
  #nonceBytesReceived = 0;
  readonly #handshakeDone = Promise.withResolvers<void>();
  readonly #detach: () => void;

  constructor(inner: MessageStream, key: Uint8Array, localNonce: Uint8Array, log: MessageStream['log']) {
    super({
      log,
      direction: inner.direction,
      inactivityTimeout: inner.inactivityTimeout,
      maxReadBufferLength: inner.maxReadBufferLength,
      ...(inner.maxWriteBufferLength === undefined ? {} : { maxWriteBufferLength: inner.maxWriteBufferLength }),
    });
    this.#inner = inner;
    this.#key = key;
    this.#outbound = new XSalsa20Stream(key, localNonce);
    // The promise is awaited only while handshaking; a later rejection must not be unhandled.
    this.#handshakeDone.promise.catch(() => {});

    const onMessage = (event: StreamMessageEvent): void => this.#onInnerData(event.data);
    const onDrain = (): void => this.onMuxerDrain();
    const onRemoteCloseWrite = (): void => {
      if (this.#inbound === undefined) this.#failHandshake('closed its side of the connection');
      else this.onRemoteCloseWrite();
    };
    const onClose = (event: StreamCloseEvent): void => {
      if (this.#inbound === undefined) {
        this.#failHandshake(event.error === undefined ? 'closed the connection' : `reset the connection (${event.error.message})`);
        return;
      }
      if (event.error === undefined) this.onTransportClosed();
      else if (event.local === true) this.abort(event.error);
      else this.onRemoteReset();
    };
    inner.addEventListener('message', onMessage);
    inner.addEventListener('drain', onDrain);
    inner.addEventListener('remoteCloseWrite', onRemoteCloseWrite);
    inner.addEventListener('close', onClose);
    this.#detach = () => {
      inner.removeEventListener('message', onMessage);
      inner.removeEventListener('drain', onDrain);
      inner.removeEventListener('remoteCloseWrite', onRemoteCloseWrite);
      inner.removeEventListener('close', onClose);
    };
    this.addEventListener('close', () => this.#detach(), { once: true });
  }

  /** Resolves once the peer's nonce is in; rejects on close, timeout or abort. */
  async handshake(timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = (): void => {
      this.#handshakeDone.reject(
        new PskHandshakeAbortedError(`the PSK handshake was aborted after ${this.#nonceBytesReceived} of the peer's 24 nonce bytes`, {
          cause: signal?.reason,
        }),
      );
    };
    try {
      timer = setTimeout(() => {
        this.#handshakeDone.reject(
          new PskHandshakeTimeoutError(
            `the peer sent ${this.#nonceBytesReceived} of its 24 nonce bytes in ${timeoutMs} ms: ${WHY_IT_FAILS}`,
          ),
        );
      }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted === true) onAbort();
      await this.#handshakeDone.promise;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  #failHandshake(what: string): void {
    this.#handshakeDone.reject(
      new PskHandshakeError(`the peer ${what} after sending ${this.#nonceBytesReceived} of its 24 nonce bytes: ${WHY_IT_FAILS}`),
    );
  }

  #onInnerData(data: StreamMessageEvent['data']): void {
    try {
      let used = 0;
      if (this.#inbound === undefined) {
        used = this.#takeNonceBytes(data);
        if (this.#inbound === undefined) return;
      }
      if (data.byteLength > used) this.onData(this.#inbound.process(data, used));
    } catch (error) {
      this.abort(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Copies nonce bytes from the start of `data`; returns how many it took. */
  #takeNonceBytes(data: StreamMessageEvent['data']): number {
    const wanted = XSALSA20_NONCE_LENGTH - this.#nonceBytesReceived;
    const parts = data instanceof Uint8Array ? [data] : data;
    let taken = 0;
    for (const part of parts) {
      if (taken === wanted) break;
      const piece = part.subarray(0, wanted - taken);
      this.#remoteNonce.set(piece, this.#nonceBytesReceived + taken);
      taken += piece.byteLength;
    }
    this.#nonceBytesReceived += taken;
    if (this.#nonceBytesReceived === XSALSA20_NONCE_LENGTH) {
      this.#inbound = new XSalsa20Stream(this.#key, this.#remoteNonce);
      this.#handshakeDone.resolve();
    }
    return taken;
  }

  sendData(data: Parameters<AbstractMessageStream['sendData']>[0]): SendResult {
    let ciphertext: Uint8Array;
    try {
      ciphertext = this.#outbound.process(data);
    } catch (error) {
      // Keystream exhausted: end this connection, never throw into the muxer's send path.
      this.abort(error instanceof Error ? error : new Error(String(error)));
      return { sentBytes: data.byteLength, canSendMore: false };
    }
    return { sentBytes: data.byteLength, canSendMore: this.#inner.send(ciphertext) };
  }

  sendReset(error: Error): void {
    this.#inner.abort(error);
  }

  sendPause(): void {
    this.#inner.pause();
  }

  sendResume(): void {
    this.#inner.resume();
  }

  /** Sends what is still queued here, then closes the inner connection (which flushes its own queue). */
  async close(options?: AbortOptions): Promise<void> {
    if (this.status !== 'open') return;
    this.status = 'closing';
    this.writeStatus = 'closing';
    if (this.writeBufferLength > 0 || this.sendingData) await this.#whenIdle(options);
    await this.#inner.close(options);
    this.onTransportClosed();
  }

  #whenIdle(options?: AbortOptions): Promise<void> {
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const onIdle = (): void => resolve();
    const onClose = (event: StreamCloseEvent): void => reject(event.error ?? new StreamClosedError('the connection closed before its queued data was sent'));
    const onAbort = (): void => reject(options?.signal?.reason);
    this.addEventListener('idle', onIdle);
    this.addEventListener('close', onClose);
    options?.signal?.addEventListener('abort', onAbort);
    if (options?.signal?.aborted === true) onAbort();
    return promise.finally(() => {
      this.removeEventListener('idle', onIdle);
      this.removeEventListener('close', onClose);
      options?.signal?.removeEventListener('abort', onAbort);
    });
  }
}
