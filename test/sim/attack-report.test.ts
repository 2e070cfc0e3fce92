import { describe, expect, it } from 'vitest';
import { attackTable, type AttackLine } from '../../sim/attack/report.ts';

const line = (attack: string, aggregation: string, finalAccuracy: number): AttackLine => ({
  label: `${attack}/${aggregation}`,
  attack,
  aggregation,
  rounds: 10,
  finalAccuracy,
  bestAccuracy: finalAccuracy,
  attackers: attack === 'clean' ? [] : [1, 4],
  attackerDeltasAggregated: 0,
  attackerDeltasPossible: 0,
});

describe('the attack table', () => {
  it('puts attacks in rows and strategies in columns, each cell with its gap to the clean line of its strategy', () => {
    const table = attackTable([line('clean', 'fedavg', 0.9), line('clean', 'fedadam', 0.8), line('alie', 'fedavg', 0.6), line('alie', 'fedadam', 0.85)]);
    expect(table.split('\n').slice(2, 6)).toEqual(['| attack | fedavg | fedadam |', '|---|---|---|', '| clean | 90.0 | 80.0 |', '| alie | 60.0 (-30.0) | 85.0 (5.0) |']);
  });
});
