/** Shared fixtures for host tests: throwaway keys, hosts that are always stopped. */
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { afterEach } from 'vitest';
import { signWith, type SignStatement } from '../../protocols/adverts/statements.ts';
import { createHost, type Host, type HostOptions } from '../../node/host/host.ts';
import { waitForDisconnect } from '../../node/host/wait.ts';

export const LOOPBACK_TCP = '/ip4/127.0.0.1/tcp/0';
export const LOOPBACK_WEBRTC = '/ip4/127.0.0.1/udp/0/webrtc-direct';

/** The key of each host made by a pool. */
const keys = new WeakMap<Host, PrivateKey>();

/** Signs statements with the key of `host` (made by a `hostPool`), as a peer's transport does. */
export function signerOf(host: Host): SignStatement {
  const key = keys.get(host);
  if (key === undefined) throw new Error('the host was not made by a hostPool');
  return signWith(key);
}

/** Call once per test file: every host made with the returned `start` is stopped after each test. */
export function hostPool(): { start: (options?: Partial<HostOptions>) => Promise<Host> } {
  const running: Host[] = [];
  afterEach(async () => {
    const hosts = running.splice(0);
    await Promise.all(hosts.map((host) => host.stop()));
  });
  return {
    async start(options = {}) {
      const privateKey = options.privateKey ?? (await generateKeyPair('Ed25519'));
      const host = await createHost({ listen: [LOOPBACK_TCP], ...options, privateKey });
      keys.set(host, privateKey);
      running.push(host);
      return host;
    },
  };
}

/** A deadline for one wait in a test. */
export function deadline(ms = 10_000): AbortSignal {
  return AbortSignal.timeout(ms);
}

export function text(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

export function untext(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/**
 * Dials `address` and expects no lasting connection to `target`: the dial fails (or does not
 * finish before `signal`), or the connection it opened is closed by the other side. Returns how
 * it ended.
 */
export async function expectRefused(
  dialer: Host,
  target: Host,
  address = target.getMultiaddrs(),
  signal = deadline(),
): Promise<'dial failed' | 'closed by remote'> {
  const outcome = await dialer.dial(address, { signal }).then(
    () => 'closed by remote' as const,
    () => 'dial failed' as const,
  );
  if (outcome === 'closed by remote') await waitForDisconnect(dialer, target.peerId, deadline());
  if (dialer.getConnections(target.peerId).length !== 0 || target.getConnections(dialer.peerId).length !== 0) {
    throw new Error(`${dialer.peerId.toString()} is still connected to ${target.peerId.toString()}`);
  }
  return outcome;
}
