/** Messages between the demo's main thread and its peer workers (one peer per worker thread). */
import type { PeerEvent } from '../peer/runtime.ts';
import type { VersionRecord } from '../store/index.ts';
import type { TaskManifest } from '../task/manifest.ts';

export type ToWorker =
  | {
      readonly type: 'init';
      readonly index: number;
      readonly peers: number;
      readonly dataDir: string;
      readonly task: TaskManifest;
      readonly taskHash: string;
      /** This peer's share of the MNIST training digits (transferred, not copied). */
      readonly features: Float32Array;
      readonly labels: Int32Array;
      readonly presenceIntervalMs: number;
      /** Send the blob of every adopted head along (one peer does, for the observer). */
      readonly sendHeads: boolean;
    }
  /** Dial these peers (the others of the federation). */
  | { readonly type: 'connect'; readonly addresses: readonly string[] }
  | { readonly type: 'start' }
  | { readonly type: 'history'; readonly head: string }
  | { readonly type: 'stop' };

export type FromWorker =
  | { readonly type: 'ready'; readonly id: string; readonly address: string }
  | { readonly type: 'connected' }
  | { readonly type: 'started' }
  | { readonly type: 'event'; readonly event: PeerEvent; readonly fetched: number; readonly blob?: Uint8Array }
  | { readonly type: 'history'; readonly versions: readonly VersionRecord[] }
  | { readonly type: 'stopped' }
  | { readonly type: 'failed'; readonly message: string };
