import { describe, expect, it } from 'vitest';
import { decodeWeights, encodeWeights, type WeightsManifest } from '../../node/learn/weights/index.ts';
import { PATCH_ENCODING, type AggregateResult, type OfferedDelta } from '../../node/peer/learner.ts';
import type { RuntimeLearner } from '../../node/peer/runtime.ts';
import type { Effect } from '../../node/round/events.ts';
import { hashBytes } from '../../node/store/blobs.ts';
import { lyingCurator } from '../../sim/attack/lying-curator.ts';
import type { CuratorAttack } from '../../sim/attack/spec.ts';

const manifest: WeightsManifest = { tensors: [{ name: 'w', shape: [3], dtype: 'float32' }] };
const blob = (values: readonly number[]) => encodeWeights({ manifest, values: Float32Array.from(values) }, 'f32');
const valuesOf = (bytes: Uint8Array) => [...decodeWeights(bytes).values];

/**
 * An honest learner whose aggregate is base + the unweighted mean of the deltas; `withPatch`
 * also gives the patch (version − base, f16), as the real learner does with int8 deltas.
 */
function honestLearner(withPatch: boolean): RuntimeLearner {
  const unused = () => {
    throw new Error('not used by these tests');
  };
  const plus = (base: Uint8Array, update: readonly number[]) => blob(valuesOf(base).map((value, i) => value + update[i]!));
  return {
    genesisBlob: unused,
    checkVersion: unused,
    train: async () => ({ blob: blob([1, 1, 1]), samples: 5, metrics: { loss: 0.5, accuracy: 0.5 } }),
    trainModel: unused,
    validate: unused,
    merge: unused,
    applyPatch: (base, patch) => plus(base, valuesOf(patch)),
    aggregate(base, offered): AggregateResult {
      const mean = [0, 1, 2].map((i) => offered.reduce((sum, delta) => sum + valuesOf(delta.blob)[i]!, 0) / offered.length);
      const patch = encodeWeights({ manifest, values: Float32Array.from(mean) }, PATCH_ENCODING);
      return withPatch ? { blob: plus(base, valuesOf(patch)), patch, accepted: offered, rejected: [] } : { blob: plus(base, mean), accepted: offered, rejected: [] };
    },
  };
}

const base = blob([1, 2, 3]);
const offered: OfferedDelta[] = [
  { from: 'honest-a', blob: blob([2, 0, 0]), samples: 5 },
  { from: 'liar', blob: blob([0, 4, 0]), samples: 5 },
  { from: 'honest-b', blob: blob([0, 0, 6]), samples: 5 },
];
/** The `aggregate` effect that has the liar curate `deltas`. */
const curation = (deltas: readonly OfferedDelta[]): Effect => ({
  type: 'aggregate',
  round: 4,
  base: hashBytes(base),
  graceMs: 0,
  deltas: deltas.map(({ from, blob: bytes, samples }) => ({
    from,
    holders: [from],
    advert: { kind: 'delta', task: 't', round: 4, base: hashBytes(base), delta: hashBytes(bytes), bytes: bytes.byteLength, samples, metrics: { loss: 0, accuracy: 0 }, sentAt: 0 },
  })),
});

function liar(attack: CuratorAttack, withPatch = false) {
  return lyingCurator({ attack, own: honestLearner(withPatch), self: 'liar', manifest });
}

describe('a lying curator', () => {
  it('wrong-sum: its curation is parent + scale·(honest − parent), listing every contribution; its audit of the same deltas later is honest', () => {
    const curator = liar({ kind: 'wrong-sum', scale: -1 });
    const honest = honestLearner(false).aggregate(base, offered);
    curator.watch(curation(offered));
    const lie = curator.aggregate(base, offered);
    // Honest: [1, 2, 3] + [2/3, 4/3, 2]; the lie steps the other way.
    expect(valuesOf(lie.blob)).toEqual(valuesOf(honest.blob).map((value, i) => valuesOf(base)[i]! - (value - valuesOf(base)[i]!)).map((v) => Math.fround(v)));
    expect(lie.accepted.map((delta) => delta.from)).toEqual(['honest-a', 'liar', 'honest-b']);
    expect([...curator.forged]).toEqual([hashBytes(lie.blob)]);
    expect(curator.aggregate(base, offered).blob).toEqual(honest.blob);
  });

  it('audits honestly while a curation of other deltas is pending, and lies only in that curation', () => {
    const curator = liar({ kind: 'wrong-sum', scale: 10 });
    curator.watch(curation(offered.slice(0, 2)));
    const audited = [{ from: 'honest-c', blob: blob([3, 3, 3]), samples: 5 }];
    expect(curator.aggregate(base, audited).blob).toEqual(honestLearner(false).aggregate(base, audited).blob);
    expect(curator.forged.size).toBe(0);
    expect(curator.aggregate(base, offered.slice(0, 2)).blob).not.toEqual(honestLearner(false).aggregate(base, offered.slice(0, 2)).blob);
    expect(curator.forged.size).toBe(1);
  });

  it('wrong-sum with a patch: the patch is scaled and the version is parent + that patch, so the two agree', () => {
    const curator = liar({ kind: 'wrong-sum', scale: 10 }, true);
    const honest = honestLearner(true).aggregate(base, offered);
    curator.watch(curation(offered));
    const lie = curator.aggregate(base, offered);
    const scaled = encodeWeights({ manifest, values: Float32Array.from(valuesOf(honest.patch!).map((value) => 10 * value)) }, PATCH_ENCODING);
    expect(lie.patch).toEqual(scaled);
    expect(valuesOf(lie.blob)).toEqual(valuesOf(base).map((value, i) => Math.fround(value + valuesOf(lie.patch!)[i]!)));
  });

  it('drop-contributions: its curation aggregates its own delta alone but lists every one', () => {
    const curator = liar({ kind: 'drop-contributions' });
    curator.watch(curation(offered));
    const lie = curator.aggregate(base, offered);
    expect(valuesOf(lie.blob)).toEqual([1, 6, 3]);
    expect(lie.accepted).toEqual(offered);
    expect(curator.forged.has(hashBytes(lie.blob))).toBe(true);
  });

  it('drop-contributions without a delta of its own keeps the first one; with only its own, its version is honest and not forged', () => {
    const others = liar({ kind: 'drop-contributions' });
    const withoutOwn = [offered[0]!, offered[2]!];
    others.watch(curation(withoutOwn));
    expect(valuesOf(others.aggregate(base, withoutOwn).blob)).toEqual([3, 2, 3]);
    const alone = liar({ kind: 'drop-contributions' });
    alone.watch(curation([offered[1]!]));
    expect(valuesOf(alone.aggregate(base, [offered[1]!]).blob)).toEqual([1, 6, 3]);
    expect(alone.forged.size).toBe(0);
  });

  it('trains honestly: its delta is its honest learner\'s', async () => {
    const delta = await liar({ kind: 'wrong-sum', scale: -1 }).train(base, 4);
    expect(valuesOf(delta.blob)).toEqual([1, 1, 1]);
    expect(delta.samples).toBe(5);
  });
});
