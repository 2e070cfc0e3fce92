import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../node/learn/backend.ts';
import { subset } from '../../node/learn/data/dataset.ts';
import { mnistSplit } from '../../node/learn/data/mnist.ts';
import { partition } from '../../node/learn/data/partition.ts';
import { createModel } from '../../node/learn/model.ts';
import { evaluate } from '../../node/learn/trainer.ts';
import { runFedAvg } from '../../sim/baselines/fedavg.ts';

describe('the fixed-server FedAvg baseline', () => {
  it('trains a fraction of clients per round on one shared model and improves test accuracy', async () => {
    await selectBackend();
    const { train, test } = await mnistSplit();
    const rows = partition({ kind: 'iid' }, train.labels.subarray(0, 1200), 10, 6, 3);
    const clients = rows.map((part, i) => subset(train, part, `client ${i}`));
    const model = await createModel({ kind: 'preset', preset: 'mlp' }, { featureCount: 784, classCount: 10 }, 3);
    const before = evaluate(model, test).accuracy;
    const seen: number[][] = [];
    const rounds = await runFedAvg(
      { model, clients, test, plan: { epochs: 1, batchSize: 32, learningRate: 0.003, optimizer: 'adam' }, fraction: 0.5, maxRounds: 2, encoding: 'int8', seed: 3 },
      (round) => seen.push([...round.cohort]),
    );
    expect(rounds).toHaveLength(2);
    for (const round of rounds) {
      expect(round.cohort).toHaveLength(3);
      expect(round.samples).toBe(600);
      expect(round.uploadBytes).toBeGreaterThan(3 * 199_210); // three int8 deltas, one byte per parameter
    }
    expect(seen).toEqual(rounds.map((r) => [...r.cohort]));
    expect(rounds[1]!.accuracy).toBeGreaterThan(before + 0.3);
    // No time model given: training at 2,000 samples/s only, one 200-sample client at a time in parallel.
    expect(rounds[0]!.virtualMs).toBeCloseTo(100, 6);
    expect(rounds[1]!.virtualMs).toBeCloseTo(200, 6);
    model.dispose();
  });

  it('models virtual time: per round, the slowest client of the cohort (download, train, upload, latencies)', async () => {
    await selectBackend();
    const { train, test } = await mnistSplit();
    const rows = partition({ kind: 'quantity', alpha: 1, minPerClient: 20 }, train.labels.subarray(0, 800), 10, 4, 5);
    const clients = rows.map((part, i) => subset(train, part, `client ${i}`));
    const model = await createModel({ kind: 'preset', preset: 'logreg' }, { featureCount: 784, classCount: 10 }, 5);
    const latencies: number[] = [];
    const rounds = await runFedAvg({
      model,
      clients,
      test: subset(test, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'test'),
      plan: { epochs: 2, batchSize: 32, learningRate: 0.003, optimizer: 'adam' },
      fraction: 0.5,
      maxRounds: 3,
      encoding: 'int8',
      seed: 5,
      time: {
        samplesPerSecond: 1000,
        uploadBps: 100_000,
        downloadBps: 400_000,
        latencyMs: (client) => {
          latencies.push(client);
          return 10 + client;
        },
      },
    });
    let clock = 0;
    for (const round of rounds) {
      expect(round.cohort).toHaveLength(2);
      const versionBytes = round.downloadBytes / 2;
      expect(versionBytes).toBeGreaterThan(7850 * 4); // f32 versions of 7,850 parameters
      const deltaBytes = round.uploadBytes / 2; // int8 deltas of one model are all the same size
      const each = round.cohort.map((c) => 2 * (10 + c) + (versionBytes * 1000) / 400_000 + (clients[c]!.size * 2 * 1000) / 1000 + (deltaBytes * 1000) / 100_000);
      clock += Math.max(...each);
      expect(round.virtualMs).toBeCloseTo(clock, 6);
    }
    expect(latencies).toEqual(rounds.flatMap((r) => r.cohort.flatMap((c) => [c, c])));
    model.dispose();
  });

  it('with failures: samples the cohort among online clients, loses deltas of clients that leave, dropped or late, and waits out the timeout', async () => {
    await selectBackend();
    const { train, test } = await mnistSplit();
    const rows = partition({ kind: 'iid' }, train.labels.subarray(0, 400), 10, 4, 7);
    const clients = rows.map((part, i) => subset(train, part, `client ${i}`));
    const evalSet = subset(test, Array.from({ length: 50 }, (_, i) => i), 'test');
    const plan = { epochs: 1, batchSize: 25, learningRate: 0.05, optimizer: 'sgd' } as const;
    // Each client holds 100 digits: training takes 50 ms at 2,000 samples/s; no latency, no bandwidth limit.
    // Client 3 is never online; client 2 goes down at 30 ms, during round 1's training, and stays down.
    const onlineThroughout = (client: number, from: number, to: number) => client !== 3 && !(client === 2 && to >= 30);
    const model = await createModel({ kind: 'preset', preset: 'logreg' }, { featureCount: 784, classCount: 10 }, 7);
    const rounds = await runFedAvg({ model, clients, test: evalSet, plan, fraction: 1, maxRounds: 2, encoding: 'f32', seed: 7, failures: { onlineThroughout, dropProbability: 0, roundTimeoutMs: 1000 } });
    expect(rounds.map((r) => [r.cohort, r.contributors, r.lostDeltas, r.samples, r.virtualMs])).toEqual([
      [[0, 1, 2], [0, 1], 1, 200, 1000], // client 2's delta never comes: the server waits out the timeout
      [[0, 1], [0, 1], 0, 200, 1050], // everyone reports: the round ends when the last delta arrives
    ]);

    // Every transfer lost: no delta arrives, the model stays as it was, each round lasts the timeout.
    const before = evaluate(model, evalSet).accuracy;
    const lossy = await runFedAvg({ model, clients, test: evalSet, plan, fraction: 0.5, maxRounds: 2, encoding: 'f32', seed: 7, failures: { onlineThroughout: () => true, dropProbability: 1, roundTimeoutMs: 500 } });
    expect(lossy.map((r) => [r.cohort.length, r.lostDeltas, r.samples, r.virtualMs, r.accuracy])).toEqual([
      [2, 2, 0, 500, before],
      [2, 2, 0, 1000, before],
    ]);

    // A delta arriving after the timeout is late: lost, although nothing failed.
    const late = await runFedAvg({ model, clients, test: evalSet, plan, fraction: 1, maxRounds: 1, encoding: 'f32', seed: 7, failures: { onlineThroughout: () => true, dropProbability: 0, roundTimeoutMs: 40 } });
    expect([late[0]!.lostDeltas, late[0]!.samples, late[0]!.virtualMs]).toEqual([4, 0, 40]);
    model.dispose();
  });
});
