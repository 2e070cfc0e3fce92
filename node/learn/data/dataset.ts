/**
 * A labelled classification dataset held in two flat typed arrays, so that it can be
 * turned into tensors without copying row by row and split without copying features
 * until a subset is materialised.
 */
import { GossipflError } from '../../errors.ts';

export interface Dataset {
  /** Where the data came from, for messages ("mnist", a file path…). */
  readonly name: string;
  readonly size: number;
  readonly featureCount: number;
  readonly classCount: number;
  /** Row-major, size × featureCount. */
  readonly features: Float32Array;
  /** Class index in [0, classCount) per row. */
  readonly labels: Int32Array;
}

export class DatasetError extends GossipflError {
  override name = 'DatasetError';
}

export function makeDataset(init: Dataset): Dataset {
  const { size, featureCount, classCount, features, labels, name } = init;
  if (!Number.isInteger(size) || size < 0) throw new DatasetError(`${name}: size must be a non-negative integer, got ${size}`);
  if (features.length !== size * featureCount) {
    throw new DatasetError(`${name}: expected ${size} × ${featureCount} = ${size * featureCount} feature values, got ${features.length}`);
  }
  if (labels.length !== size) throw new DatasetError(`${name}: expected ${size} labels, got ${labels.length}`);
  for (let i = 0; i < size; i++) {
    const label = labels[i] as number;
    if (label < 0 || label >= classCount) throw new DatasetError(`${name}: row ${i} has class ${label}, outside [0, ${classCount})`);
  }
  return init;
}

/** A new dataset holding copies of the given rows, in the given order. */
export function subset(dataset: Dataset, rows: ArrayLike<number>, name = `${dataset.name}[subset]`): Dataset {
  const { featureCount } = dataset;
  const features = new Float32Array(rows.length * featureCount);
  const labels = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as number;
    if (!Number.isInteger(row) || row < 0 || row >= dataset.size) {
      throw new DatasetError(`${dataset.name}: row index ${row} is outside [0, ${dataset.size})`);
    }
    features.set(dataset.features.subarray(row * featureCount, (row + 1) * featureCount), i * featureCount);
    labels[i] = dataset.labels[row] as number;
  }
  return { name, size: rows.length, featureCount, classCount: dataset.classCount, features, labels };
}

/** How many rows each class has. */
export function classCounts(dataset: Dataset): number[] {
  const counts = new Array<number>(dataset.classCount).fill(0);
  for (const label of dataset.labels) counts[label] = (counts[label] ?? 0) + 1;
  return counts;
}
