import { describe, expect, it } from 'vitest';
import { chooseAttackers } from '../../sim/attack/spec.ts';
import { ScenarioError, parseScenario } from '../../sim/scenario.ts';

const BASE = `
name: attacked
peers: 25
data: { builtin: mnist }
partition: { kind: dirichlet, alpha: 0.5 }
task:
  model: { preset: mlp }
  stopping: { rounds: 5 }
`;

function problemsOf(text: string): readonly string[] {
  try {
    parseScenario(text, '/scenarios/attacked.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return (error as ScenarioError).problems;
  }
  throw new Error('expected a ScenarioError');
}

describe('scenario attackers', () => {
  it('reads one group with its defaults, and chooses the same attackers from the same seed', () => {
    const scenario = parseScenario(`${BASE}attackers: { fraction: 0.2, kind: ipm }\nalgorithms: [curator]\n`, 'a.yaml');
    expect(scenario.attackers).toEqual([{ kind: 'ipm', epsilon: 0.1, fraction: 0.2 }]);
    expect(scenario.algorithms[0]!.attackers).toBe(scenario.attackers);
    const plan = chooseAttackers(scenario.attackers, 25, 1);
    expect(plan.size).toBe(5);
    expect([...chooseAttackers(scenario.attackers, 25, 1).keys()]).toEqual([...plan.keys()]);
    expect([...chooseAttackers(scenario.attackers, 25, 2).keys()].sort()).not.toEqual([...plan.keys()].sort());
  });

  it('deals a list of groups out to disjoint peers, with ALIE\'s z from every attacker', () => {
    const scenario = parseScenario(`${BASE}attackers:\n  - { fraction: 0.12, kind: alie }\n  - { fraction: 0.08, kind: mimic }\nalgorithms: [curator]\n`, 'a.yaml');
    const plan = chooseAttackers(scenario.attackers, 25, 1);
    const kinds = [...plan.values()].map((attack) => attack.kind);
    expect(kinds.filter((kind) => kind === 'alie')).toHaveLength(3);
    expect(kinds.filter((kind) => kind === 'mimic')).toHaveLength(2);
    const alie = [...plan.values()].find((attack) => attack.kind === 'alie');
    expect(alie).toEqual({ kind: 'alie', z: expect.closeTo(0.2533, 3) });
    const mimic = [...plan.values()].find((attack) => attack.kind === 'mimic');
    expect(mimic?.kind === 'mimic' && !plan.has(mimic.target)).toBe(true);
  });

  it('names the field of every problem', () => {
    expect(problemsOf(`${BASE}attackers: { fraction: 0.2, kind: sign-flp }\nalgorithms: [curator]\n`)).toEqual([
      'attackers.kind: must be one of sign-flip, label-flip, alie, ipm, mimic, gaussian, free-rider, wrong-sum, drop-contributions, got "sign-flp" (did you mean "sign-flip"?)',
    ]);
    expect(problemsOf(`${BASE}attackers: { fraction: 0.01, kind: ipm, epsilon: -1, z: 2 }\nalgorithms: [curator]\n`)).toEqual([
      'attackers: unknown field "z" (known fields: fraction, kind, label, epsilon)',
      'attackers.fraction: is 0.01 of 25 peers, which rounds to no attacker; give at least 0.020',
      'attackers.epsilon: must be a positive number, got -1',
    ]);
    expect(problemsOf(`${BASE}attackers: [{ fraction: 0.6, kind: gaussian }, { fraction: 0.4, kind: label-flip }]\nalgorithms: [curator]\n`)).toEqual([
      'attackers: makes 25 of the 25 peers attackers; leave at least one honest peer',
    ]);
    const attackers = [...chooseAttackers([{ kind: 'mimic', target: null, fraction: 0.2 }], 25, 1).keys()];
    expect(problemsOf(`${BASE}attackers: { fraction: 0.2, kind: mimic, target: ${attackers[0]} }\nalgorithms: [curator]\n`)).toEqual([
      expect.stringMatching(new RegExp(`^attackers\\.target: is peer ${attackers[0]}, an attacker with seed 1 `)),
    ]);
    expect(problemsOf(`${BASE}attackers: { fraction: 0.2, kind: free-rider, delta: old }\nalgorithms: [curator]\n`)).toEqual(['attackers.delta: must be one of zero, stale, got "old"']);
  });

  it('reads the malicious curators: wrong-sum with its scale (default −1), drop-contributions without parameters', () => {
    expect(parseScenario(`${BASE}attackers: { fraction: 0.2, kind: wrong-sum }\nalgorithms: [curator]\n`, 'a.yaml').attackers).toEqual([{ kind: 'wrong-sum', scale: -1, fraction: 0.2 }]);
    expect(parseScenario(`${BASE}attackers: { fraction: 0.2, kind: wrong-sum, scale: 10 }\nalgorithms: [curator]\n`, 'a.yaml').attackers).toEqual([{ kind: 'wrong-sum', scale: 10, fraction: 0.2 }]);
    expect(parseScenario(`${BASE}attackers: { fraction: 0.2, kind: drop-contributions }\nalgorithms: [curator]\n`, 'a.yaml').attackers).toEqual([{ kind: 'drop-contributions', fraction: 0.2 }]);
  });

  it('refuses a malicious curator\'s bad parameters, naming the field', () => {
    expect(problemsOf(`${BASE}attackers: { fraction: 0.2, kind: wrong-sum, scale: 1 }\nalgorithms: [curator]\n`)).toEqual([
      'attackers.scale: is 1, which makes the honest version: give another factor (default −1 undoes the round, 10 overshoots it)',
    ]);
    expect(problemsOf(`${BASE}attackers: { fraction: 0.2, kind: wrong-sum, scale: big }\nalgorithms: [curator]\n`)).toEqual(['attackers.scale: must be a finite number other than 1, got "big"']);
    expect(problemsOf(`${BASE}attackers: { fraction: 0.2, kind: drop-contributions, scale: 2 }\nalgorithms: [curator]\n`)).toEqual([
      'attackers: unknown field "scale" (known fields: fraction, kind, label)',
    ]);
    expect(problemsOf(`${BASE}attackers: { fraction: 0.2, kind: wrong-sum }\nalgorithms: [gossip]\n`)).toEqual([
      'attackers: hostile peers run in the curator algorithm only, not gossip (line "gossip")',
    ]);
  });

  it('runs hostile peers in curator lines only, never protocol-only', () => {
    expect(problemsOf(`${BASE}attackers: { fraction: 0.2, kind: ipm }\nalgorithms: [curator, gossip]\n`)).toEqual([
      'attackers: hostile peers run in the curator algorithm only, not gossip (line "gossip")',
    ]);
    expect(problemsOf(`${BASE}algorithms: [curator, { algorithm: fedavg, attackers: { fraction: 0.2, kind: ipm } }]\n`)).toEqual([
      'algorithms[1].attackers: hostile peers run in the curator algorithm only, not fedavg (line "fedavg")',
    ]);
  });

  it('sweeps attackers × aggregation over every entry, labelled by the values', () => {
    const scenario = parseScenario(
      `${BASE}algorithms: [curator]\nsweep:\n  attackers: [none, { fraction: 0.2, kind: sign-flip, scale: 2 }]\n  aggregation: [fedavg, { strategy: fedadam, serverLearningRate: 0.02 }]\n`,
      'a.yaml',
    );
    expect(scenario.algorithms.map((line) => line.label)).toEqual(['clean/fedavg', 'clean/fedadam', 'sign-flip/fedavg', 'sign-flip/fedadam']);
    expect(scenario.algorithms.map((line) => line.sweep)).toEqual([
      { attackers: 'clean', aggregation: 'fedavg' },
      { attackers: 'clean', aggregation: 'fedadam' },
      { attackers: 'sign-flip', aggregation: 'fedavg' },
      { attackers: 'sign-flip', aggregation: 'fedadam' },
    ]);
    expect(scenario.algorithms[3]!.task.aggregation).toEqual({ strategy: 'fedadam', serverLearningRate: 0.02 });
    expect(scenario.algorithms[3]!.attackers).toEqual([{ kind: 'sign-flip', scale: 2, fraction: 0.2 }]);
    expect(scenario.algorithms[0]!.attackers).toEqual([]);
  });

  it('names each bad sweep value by its axis and index', () => {
    expect(
      problemsOf(`${BASE}algorithms: [curator]\nsweep:\n  attackers: [none, { fraction: 0.2, kind: alie, z: x }]\n  aggregation: [fedavg, krum, { strategy: fedavg, momentum: 0.9 }]\n  rounds: [1]\n`),
    ).toEqual([
      'sweep: unknown field "rounds" (known fields: attackers, aggregation)',
      'sweep.attackers[1].z: must be a finite number, got "x"',
      expect.stringMatching(/^sweep\.aggregation\[1\]\.strategy: must be one of fedavg, fedavgm, fedadam/),
      'sweep.aggregation[2].momentum: applies to fedavgm and centered-clipping only; remove it or change the strategy',
    ]);
    expect(problemsOf(`${BASE}algorithms: [curator]\nsweep: { aggregation: [fedavg, fedavg] }\n`)).toEqual(['sweep.aggregation: lists fedavg twice; give one of them a label']);
    expect(problemsOf(`${BASE}algorithms: [{ algorithm: curator, task: { aggregation: { strategy: fedavgm } } }]\nsweep: { aggregation: [fedavg] }\n`)).toEqual([
      'algorithms[0].task.aggregation: the sweep sets the aggregation of every line; remove it',
    ]);
  });
});
