import { AggregationError, type AggregationStrategy } from './strategy.ts';
import { fedAvg } from './fedavg.ts';
import { fedAdam, fedAvgM } from './server-optimizers.ts';

export const STRATEGY_NAMES = ['fedavg', 'fedavgm', 'fedadam'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

export interface StrategyOptions {
  readonly serverLearningRate?: number;
  readonly momentum?: number;
}

export function isStrategyName(name: string): name is StrategyName {
  return (STRATEGY_NAMES as readonly string[]).includes(name);
}

/** The task's aggregation strategy by name; server options apply to fedavgm and fedadam. */
export function createStrategy(name: StrategyName, options: StrategyOptions = {}): AggregationStrategy {
  switch (name) {
    case 'fedavg':
      return fedAvg();
    case 'fedavgm':
      return fedAvgM(options);
    case 'fedadam':
      return fedAdam(options.serverLearningRate === undefined ? {} : { serverLearningRate: options.serverLearningRate });
    default: {
      const unknown: never = name;
      throw new AggregationError(`unknown aggregation strategy "${String(unknown)}"; choose one of ${STRATEGY_NAMES.join(', ')}`);
    }
  }
}

export { AggregationError, checkContributions, type AggregationStrategy, type Contribution } from './strategy.ts';
