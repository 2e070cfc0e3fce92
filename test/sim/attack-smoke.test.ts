import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../node/learn/backend.ts';
import { runScenario } from '../../sim/scenario-run.ts';
import { parseScenario } from '../../sim/scenario.ts';
import { attackLine } from '../../sim/attack/report.ts';

const SCENARIO = `
name: attack-smoke
seed: 2
peers: 6
data: { builtin: mnist }
task:
  model: { preset: logreg }
  training: { epochs: 1, batchSize: 256, learningRate: 0.01 }
  stopping: { rounds: 2 }
  timing: { collectionWindowMs: 2000, curatorDeadlineMs: 4000 }
algorithms: [curator]
sweep:
  attackers: [none, { fraction: 0.34, kind: sign-flip, scale: 4 }]
  aggregation: [fedavg]
evaluation: { testSamples: 300 }
`;

describe('a federation with attackers (smoke)', () => {
  it('fedavg aggregates the sign-flipped deltas of both attackers every round, and ends far below the clean line', async () => {
    await selectBackend();
    const scenario = parseScenario(SCENARIO, 'attack-smoke.yaml');
    const [clean, attacked] = await runScenario(scenario);
    expect(clean!.label).toBe('clean/fedavg');
    expect(attacked!.label).toBe('sign-flip/fedavg');
    expect(clean!.attackers).toEqual([]);
    expect(attacked!.attackers).toHaveLength(2);
    const line = attackLine(scenario.algorithms[1]!, attacked!);
    // No defence: every attacker's delta passes validation and is in every version.
    expect(line.attackerDeltasAggregated).toBe(2 * 2);
    for (const round of attacked!.rounds) for (const { peer } of attacked!.attackers) expect(round.contributors).toContain(peer);
    const finalOf = (run: typeof clean) => run!.rounds.at(-1)!.peerAccuracy.mean;
    expect(finalOf(clean)).toBeGreaterThan(0.75);
    expect(finalOf(attacked)).toBeLessThan(finalOf(clean) - 0.3);
  }, 20_000);
});
