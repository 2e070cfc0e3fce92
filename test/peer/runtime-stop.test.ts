/**
 * A real peer (libp2p on loopback, TF.js on MNIST, a store on disk) stopped in the middle of
 * training: stop() returns within seconds, the abandoned training is reported neither as
 * trained nor as failed, and the peer restarts from its checkpoint.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RuntimeTrace } from '../../node/peer/runtime.ts';
import { testFederation, testTask, type TestFederation } from '../federation/helpers.ts';

let federation: TestFederation | undefined;
afterEach(async () => {
  await federation?.close();
  federation = undefined;
});

// 4,000 digits × 5 epochs of the 2NN: a round's training takes about 20 s here (measured with
// the CPU shared: stop() waited 39–41 s for 10 epochs before training took a stop signal).
const training = { epochs: 5, batchSize: 32, optimizer: 'adam', learningRate: 0.003 };
const STOP_BOUND_MS = 3000;

describe.each([
  { mode: 'curator', effect: 'train', timing: { collectionWindowMs: 20_000, curatorDeadlineMs: 30_000, maxBlobBytes: 16 << 20 } },
  { mode: 'gossip', effect: 'train-model', timing: { collectionWindowMs: 300, curatorDeadlineMs: 30_000, maxBlobBytes: 16 << 20 } },
] as const)('a $mode peer stopped mid-training', ({ mode, effect, timing }) => {
  it('stops within seconds, reports no training result or failure, and resumes from its checkpoint', async () => {
    federation = await testFederation(1, 4000, testTask({ mode, training, timing, cohort: { fraction: 1, minPeers: 1 } }));
    const peer = await federation.start(0, { autoStart: false });
    const trainingStarted = Promise.withResolvers<void>();
    peer.runtime.observe((trace: RuntimeTrace) => {
      if (trace.kind === 'effect' && trace.effect.type === effect) trainingStarted.resolve();
    });
    await peer.start();
    const deadline = setTimeout(() => trainingStarted.reject(new Error(`no ${effect} effect within 20 s`)), 20_000);
    await trainingStarted.promise.finally(() => clearTimeout(deadline));

    const stopping = performance.now();
    await federation.stop(0);
    const stopMs = performance.now() - stopping;
    expect(stopMs).toBeLessThan(STOP_BOUND_MS);
    const events = federation.events.map(({ event }) => event);
    expect(events.filter((event) => event.type === 'trained')).toEqual([]);
    expect(events.filter((event) => event.type === 'log' && event.level === 'warn')).toEqual([]);

    const restarted = await federation.start(0);
    expect(await restarted.store.checkpoint.load()).toMatchObject({ round: 0 });
    expect(federation.events.some(({ event }) => event.type === 'log' && event.message.startsWith('resuming at round 0'))).toBe(true);
  }, 60_000);
});
