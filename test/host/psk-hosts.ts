/**
 * Hosts for the PSK tests: gossipfl's own configuration (`hostConfig`) with the connection
 * protector swapped — @libp2p/pnet to prove interop, or ours wrapped so a test can see why a
 * handshake failed. Every host started here is stopped after each test.
 */
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { AbortOptions, ConnectionProtector, MessageStream } from '@libp2p/interface';
import { preSharedKey } from '@libp2p/pnet';
import { createLibp2p } from 'libp2p';
import { afterEach } from 'vitest';
import { hostConfig, type Host, type HostOptions } from '../../node/host/host.ts';
import { PskConnectionProtector, type PskProtectorInit } from '../../node/host/psk-protector.ts';
import { swarmKeyForPnet, type SwarmKey } from '../../node/host/swarm-key.ts';
import { LOOPBACK_TCP } from './helpers.ts';

/** Which protector a host runs. */
export type ProtectorChoice =
  | { readonly kind: 'ours'; readonly swarmKey: SwarmKey }
  | { readonly kind: 'pnet'; readonly swarmKey: SwarmKey }
  | { readonly kind: 'recorded'; readonly init: PskProtectorInit; readonly record: HandshakeRecord };

/** What `protect` did on each connection of a 'recorded' host, in order. */
export class HandshakeRecord {
  readonly outcomes: (Error | 'protected')[] = [];
  readonly #waiters: (() => void)[] = [];

  add(outcome: Error | 'protected'): void {
    this.outcomes.push(outcome);
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Resolves with the first failure recorded (now or later); rejects when `signal` aborts. */
  async nextFailure(signal: AbortSignal): Promise<Error> {
    for (;;) {
      const failure = this.outcomes.find((outcome): outcome is Error => outcome instanceof Error);
      if (failure !== undefined) return failure;
      signal.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        this.#waiters.push(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
  }
}

class RecordingProtector implements ConnectionProtector {
  readonly #inner: PskConnectionProtector;
  readonly #record: HandshakeRecord;

  constructor(init: PskProtectorInit, record: HandshakeRecord) {
    this.#inner = new PskConnectionProtector(init);
    this.#record = record;
  }

  async protect(connection: MessageStream, options?: AbortOptions): Promise<MessageStream> {
    try {
      const result = await this.#inner.protect(connection, options);
      this.#record.add('protected');
      return result;
    } catch (error) {
      this.#record.add(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  }
}

function protectorFactory(choice: ProtectorChoice): () => ConnectionProtector {
  switch (choice.kind) {
    case 'ours': {
      const protector = new PskConnectionProtector({ swarmKey: choice.swarmKey });
      return () => protector;
    }
    case 'pnet':
      return preSharedKey({ psk: swarmKeyForPnet(choice.swarmKey) });
    case 'recorded': {
      const protector = new RecordingProtector(choice.init, choice.record);
      return () => protector;
    }
    default: {
      const unknown: never = choice;
      throw new Error(`unknown protector ${String(unknown)}`);
    }
  }
}

/** Call once per test file. */
export function protectedHostPool(): { start: (choice: ProtectorChoice, options?: Partial<HostOptions>) => Promise<Host> } {
  const running: Host[] = [];
  afterEach(async () => {
    const hosts = running.splice(0);
    await Promise.all(hosts.map((host) => host.stop()));
  });
  return {
    async start(choice, options = {}) {
      const config = await hostConfig({
        privateKey: options.privateKey ?? (await generateKeyPair('Ed25519')),
        listen: [LOOPBACK_TCP],
        ...options,
      });
      const host: Host = await createLibp2p({ ...config, connectionProtector: protectorFactory(choice) });
      running.push(host);
      return host;
    },
  };
}
