export { createStrategy, isStrategyName, readStrategyParameters, STRATEGY_NAMES, strategyDefinition, type StrategyName } from './registry.ts';
export { averageVersions } from './merge.ts';
export { clippedGossipMerge, type ClippedNeighbour } from './clipped-gossip.ts';
export {
  AggregationError,
  checkContributions,
  type AggregationStrategy,
  type Contribution,
  type MergeLeaf,
  type ParameterSpec,
  type StrategyDefinition,
  type StrategyParameters,
} from './strategy.ts';
