/**
 * What the simulator needs of the learning side of its peers, whether they train a real
 * TF.js model (`modelLearning`) or only stand for it (`syntheticLearning`, protocol-only).
 */
import type { WeightsManifest } from '../../node/learn/weights/index.ts';
import type { RuntimeLearner } from '../../node/peer/runtime.ts';

/** How a peer's learner sees its data: as it is, or with every label l turned into classes − 1 − l (a label-flip attacker). */
export type SimLabels = 'true' | 'flipped';

/** How good a round's heads are, over every online peer's head. */
export interface RoundQuality {
  /** Of the first peer's head (in curator mode every peer's head); NaN when nothing is learnt. */
  readonly accuracy: number;
  readonly loss: number;
  readonly peerAccuracy: { readonly min: number; readonly mean: number; readonly max: number };
  /** sqrt(mean_i ||w_i − w̄||²) over the peers' model weights; 0 when all heads are the same version. */
  readonly consensusDistance: number;
}

export interface SimLearning {
  /** Peer `index`'s learner (called once per peer; it outlives the peer's restarts); `labels` default `true`. */
  learner(index: number, peer: string, labels?: SimLabels): RuntimeLearner;
  /** The model's tensors, when a real model is trained (protocol-only runs have none). */
  readonly manifest?: WeightsManifest;
  /** Samples peer `index` trains on per epoch, for its modelled training time. */
  samples(index: number): number;
  /** Whether real (not virtual-time) work is queued or running; `idle` resolves when none is. */
  readonly busy: boolean;
  idle(): Promise<void>;
  /** Measures a round's heads (`heads` holds one version hash per online peer; `blobOf` their bytes). */
  measure(heads: readonly string[], blobOf: (hash: string) => Uint8Array): Promise<RoundQuality>;
  /** The size a blob stands for on the wire (synthetic blobs stand for bigger ones); default its length. */
  wireSize?(blob: Uint8Array): number;
  dispose(): void;
}
