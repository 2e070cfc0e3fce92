import { fedAvgM } from './server-optimizers.ts';
import { defineStrategy, numberParameter } from './strategy.ts';

/** FedAvgM (Hsu et al. 2019): server momentum on the sample-weighted mean delta; the arithmetic is in server-optimizers.ts. */
export const FEDAVGM = defineStrategy({
  name: 'fedavgm',
  summary: 'sample-weighted mean delta through server momentum SGD',
  parameters: [
    { key: 'serverLearningRate', doc: 'server learning rate η', rule: { above: 0, expected: 'a positive number' }, default: 1 },
    { key: 'momentum', doc: 'server momentum β', rule: { min: 0, max: 0.999999, expected: 'a number in [0, 1)' }, default: 0.9 },
  ],
  stateTensors: 1,
  create: (parameters) => fedAvgM({ serverLearningRate: numberParameter(parameters, 'serverLearningRate'), momentum: numberParameter(parameters, 'momentum') }),
});
