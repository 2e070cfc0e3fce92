import { fedAdam } from './server-optimizers.ts';
import { defineStrategy, numberParameter } from './strategy.ts';

/** FedAdam (Reddi et al. 2021): Adam on the sample-weighted mean delta; the arithmetic is in server-optimizers.ts. */
export const FEDADAM = defineStrategy({
  name: 'fedadam',
  summary: 'sample-weighted mean delta through server Adam (β1 0.9, β2 0.99, τ 10⁻³ fixed)',
  parameters: [{ key: 'serverLearningRate', doc: 'server learning rate η', rule: { above: 0, expected: 'a positive number' }, default: 0.01 }],
  stateTensors: 2,
  create: (parameters) => fedAdam({ serverLearningRate: numberParameter(parameters, 'serverLearningRate') }),
});
