import { describe, expect, it } from 'vitest';
import { MIN_SCREENED, screenByLoss } from '../../node/aggregate/update-evaluation.ts';

const scored = (losses: number[]) => losses.map((loss, i) => ({ from: `p${i}`, loss }));

describe('update evaluation: screening by validation loss', () => {
  it('leaves out the deltas whose loss exceeds the median by more than the margin', () => {
    // Median of 0.5, 0.6, 0.7, 3 is 0.65: 3 > 0.65 + 0.5 goes, 0.7 stays.
    const { kept, dropped } = screenByLoss(scored([0.5, 0.6, 0.7, 3]), 0.5);
    expect(kept).toEqual(['p0', 'p1', 'p2']);
    expect(dropped).toEqual([{ from: 'p3', reason: 'update evaluation: validation loss 3.000 exceeds the median 0.6500 by more than 0.5' }]);
  });

  it('never leaves out more than half (a majority sets the norm), drops NaN losses, keeps everything below three deltas', () => {
    expect(screenByLoss(scored([0.1, 0.2, 9, 9, 9]), 0).kept).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect(screenByLoss(scored([0.1, 0.2, 0.3, 9, 9, 9]), 0).dropped.map((d) => d.from)).toEqual(['p3', 'p4', 'p5']);
    expect(screenByLoss(scored([0.1, 0.2, Number.NaN]), 1).dropped.map((d) => d.from)).toEqual(['p2']);
    expect(MIN_SCREENED).toBe(3);
    expect(screenByLoss(scored([0.1, 50]), 0)).toEqual({ kept: ['p0', 'p1'], dropped: [] });
  });
});
