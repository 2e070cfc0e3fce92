/**
 * What a task expects of every peer's local data. The data gate checks local data
 * against it before any training; loaders use it to map label values to class indices.
 */
export interface DataSchema {
  /** Numeric features per sample. */
  readonly featureCount: number;
  /** Label values in class-index order; a row's label is matched against these as a string. */
  readonly classes: readonly string[];
  /** CSV header / JSONL key holding the label. */
  readonly labelColumn: string;
  /** CSV header / JSONL keys of the features, in model-input order. Default: every column except the label, in file order. */
  readonly featureColumns?: readonly string[];
  /** Fewest samples a peer must hold to take part. */
  readonly minSamples: number;
}
