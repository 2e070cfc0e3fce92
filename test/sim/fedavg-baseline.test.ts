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
    model.dispose();
  });
});
