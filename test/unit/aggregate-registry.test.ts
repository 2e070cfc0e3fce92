/** The strategy registry and the task manifest's `aggregation:` section read through it. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createStrategy, STRATEGY_NAMES, strategyDefinition, type StrategyName } from '../../node/aggregate/index.ts';
import { parseTaskManifest, TaskManifestError } from '../../node/task/manifest.ts';

const MINIMAL_YAML = `version: 1
id: rules-task
model: { preset: logreg }
data: { builtin: mnist }
stopping: { rounds: 3 }
`;

function aggregation(section: string) {
  return parseTaskManifest(`${MINIMAL_YAML}aggregation: ${section}\n`, 'x').aggregation;
}

function problems(section: string): readonly string[] {
  try {
    aggregation(section);
  } catch (error) {
    if (error instanceof TaskManifestError) return error.problems;
    throw error;
  }
  throw new Error(`aggregation: ${section} was accepted`);
}

describe('strategy registry', () => {
  it('fills every strategy’s own defaults into the manifest', () => {
    expect(aggregation('{ strategy: median }')).toEqual({ strategy: 'median' });
    expect(aggregation('{ strategy: trimmed-mean }')).toEqual({ strategy: 'trimmed-mean', trimFraction: 0.1 });
    expect(aggregation('{ strategy: multi-krum, select: 3 }')).toEqual({ strategy: 'multi-krum', byzantine: 1, select: 3 });
    expect(aggregation('{ strategy: geometric-median }')).toEqual({ strategy: 'geometric-median', iterations: 8, smoothing: 1e-6, weights: 'uniform' });
    expect(aggregation('{ strategy: centered-clipping, clipRadius: 5 }')).toEqual({ strategy: 'centered-clipping', clipRadius: 5, iterations: 1, momentum: 0 });
    expect(aggregation('{ strategy: norm-clipping, clipNorm: 2, maxDeltaNorm: 50 }')).toEqual({ strategy: 'norm-clipping', clipNorm: 2, maxDeltaNorm: 50 });
  });

  it('names the field, the rule and the value for every bad parameter', () => {
    const cases: [string, string][] = [
      ['{ strategy: trimmed-mean, trimFraction: 0.5 }', 'aggregation.trimFraction: must be a number in [0, 0.5), got 0.5'],
      ['{ strategy: multi-krum, byzantine: 1.5 }', 'aggregation.byzantine: must be a whole number ≥ 0, got 1.5'],
      ['{ strategy: multi-krum, select: 0 }', 'aggregation.select: must be a whole number ≥ 1, got 0'],
      ['{ strategy: geometric-median, iterations: 0 }', 'aggregation.iterations: must be a whole number in [1, 1000], got 0'],
      ['{ strategy: geometric-median, smoothing: 0 }', 'aggregation.smoothing: must be a positive number, got 0'],
      ['{ strategy: geometric-median, weights: median }', 'aggregation.weights: must be one of uniform, samples, got "median"'],
      ['{ strategy: centered-clipping, clipRadius: -1 }', 'aggregation.clipRadius: must be a positive number, got -1'],
      ['{ strategy: centered-clipping, iterations: 101 }', 'aggregation.iterations: must be a whole number in [1, 100], got 101'],
      ['{ strategy: centered-clipping, momentum: 1 }', 'aggregation.momentum: must be a number in [0, 1), got 1'],
      ['{ strategy: norm-clipping, clipNorm: "big" }', 'aggregation.clipNorm: must be a positive number, got "big"'],
      ['{ strategy: fedavgm, serverLearningRate: 0 }', 'aggregation.serverLearningRate: must be a positive number, got 0'],
    ];
    for (const [section, problem] of cases) expect(problems(section)).toEqual([problem]);
  });

  it('says which strategies take a parameter given to another, and suggests a misspelt one', () => {
    expect(problems('{ strategy: median, trimFraction: 0.2 }')).toEqual(['aggregation.trimFraction: applies to trimmed-mean only; remove it or change the strategy']);
    expect(problems('{ strategy: fedavg, iterations: 2 }')).toEqual(['aggregation.iterations: applies to geometric-median and centered-clipping only; remove it or change the strategy']);
    expect(problems('{ strategy: trimmed-mean, trimFracton: 0.2 }')).toEqual(['aggregation: unknown field "trimFracton" (did you mean "trimFraction"?)']);
    expect(problems('{ strategy: krum }')).toEqual([`aggregation.strategy: must be one of ${STRATEGY_NAMES.join(', ')}, got "krum"`]);
  });

  it('creates a strategy by name and parameters for experiments, refusing bad parameters as the manifest does', () => {
    expect(createStrategy('trimmed-mean', { trimFraction: 0.3 }).name).toBe('trimmed-mean');
    expect(() => createStrategy('trimmed-mean', { trimFraction: 0.7 })).toThrow('strategy trimmed-mean: trimFraction: must be a number in [0, 0.5), got 0.7');
    expect(() => createStrategy('median', { select: 2 })).toThrow('strategy median: select: applies to multi-krum only; remove it or change the strategy');
    expect(() => createStrategy('krum' as StrategyName)).toThrow(`unknown aggregation strategy "krum"; choose one of ${STRATEGY_NAMES.join(', ')}`);
  });

  it('gives each rule’s state-tensor count to the version checks', () => {
    expect(Object.fromEntries(STRATEGY_NAMES.map((name) => [name, strategyDefinition(name).stateTensors]))).toEqual({
      fedavg: 0,
      fedavgm: 1,
      fedadam: 2,
      median: 0,
      'trimmed-mean': 0,
      'multi-krum': 0,
      'geometric-median': 0,
      'centered-clipping': 1,
      'norm-clipping': 0,
    });
  });

  it('is documented: every rule and each of its parameters has a row in PROTOCOL §7.8 and docs/STRATEGIES.md', () => {
    for (const doc of ['docs/PROTOCOL.md', 'docs/STRATEGIES.md']) {
      const lines = readFileSync(new URL(`../../${doc}`, import.meta.url), 'utf8').split('\n');
      for (const name of STRATEGY_NAMES) {
        const row = lines.find((line) => line.startsWith(`| \`${name}\` |`));
        expect(row, `${doc} has no row for ${name}`).toBeDefined();
        for (const { key } of strategyDefinition(name).parameters) expect(row, `${doc}: ${name} row lacks ${key}`).toContain(`\`${key}\``);
      }
    }
  });
});
