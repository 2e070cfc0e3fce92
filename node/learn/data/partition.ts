/**
 * Partitioners for experiments: split one dataset's rows among simulated clients, IID or
 * with the label / quantity skew common in the federated-learning literature.
 *
 * Invariant (every function here, checked by `assertPartition`): the result has exactly
 * `clients` lists of row indices; together they hold every row 0..n-1 exactly once
 * (disjoint and covering); each list is sorted ascending; every client gets at least one row
 * (at least `minPerClient` where that option exists). The same labels, parameters and seed
 * always give the identical partition.
 */
import { GossipflError } from '../../errors.ts';
import { Rng, type Seed } from '../rng.ts';

export class PartitionError extends GossipflError {
  override name = 'PartitionError';
}

export type PartitionSpec =
  | { readonly kind: 'iid' }
  | { readonly kind: 'dirichlet'; readonly alpha: number; readonly minPerClient?: number }
  | { readonly kind: 'shards'; readonly shardsPerClient?: number }
  | { readonly kind: 'quantity'; readonly alpha: number; readonly minPerClient?: number };

export type Labels = ArrayLike<number>;

function checkClients(size: number, clients: number, minPerClient = 1): void {
  if (!Number.isInteger(clients) || clients < 1) throw new PartitionError(`clients must be a whole number ≥ 1, got ${clients}`);
  if (!Number.isInteger(minPerClient) || minPerClient < 1) {
    throw new PartitionError(`minPerClient must be a whole number ≥ 1, got ${minPerClient}`);
  }
  if (clients * minPerClient > size) {
    throw new PartitionError(
      `cannot give ${clients} clients ${minPerClient === 1 ? 'a row each' : `${minPerClient} rows each`} from ${size} rows; use fewer clients`,
    );
  }
}

function checkAlpha(alpha: number): void {
  if (!(alpha > 0) || !Number.isFinite(alpha)) throw new PartitionError(`alpha must be a finite number > 0, got ${alpha}`);
}

function checkLabels(labels: Labels, classCount: number): void {
  if (!Number.isInteger(classCount) || classCount < 1) throw new PartitionError(`classCount must be a whole number ≥ 1, got ${classCount}`);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as number;
    if (!Number.isInteger(label) || label < 0 || label >= classCount) {
      throw new PartitionError(`row ${i} has label ${label}, outside [0, ${classCount})`);
    }
  }
}

const ascending = (a: number, b: number): number => a - b;

function sorted(parts: number[][]): number[][] {
  for (const part of parts) part.sort(ascending);
  return parts;
}

/** Cuts `order` into consecutive runs of the given sizes. */
function cut(order: readonly number[], sizes: readonly number[]): number[][] {
  const parts: number[][] = [];
  let start = 0;
  for (const size of sizes) {
    parts.push(order.slice(start, start + size));
    start += size;
  }
  return parts;
}

/** Row indices of each class, ascending. */
function rowsByClass(labels: Labels, classCount: number): number[][] {
  const byClass = Array.from({ length: classCount }, (): number[] => []);
  for (let i = 0; i < labels.length; i++) (byClass[labels[i] as number] as number[]).push(i);
  return byClass;
}

/** IID: shuffle the rows and deal them out evenly; client sizes differ by at most 1. */
export function iid(labels: Labels, clients: number, rng: Rng): number[][] {
  const size = labels.length;
  checkClients(size, clients);
  const base = Math.floor(size / clients);
  const extra = size % clients;
  return sorted(cut(rng.permutation(size), Array.from({ length: clients }, (_, c) => base + (c < extra ? 1 : 0))));
}

export interface DirichletOptions {
  /** Fewest rows any client may get; draws are repeated until this holds. Default 1. */
  readonly minPerClient?: number;
  /** Draws tried before giving up. Default 1000. */
  readonly maxAttempts?: number;
  /**
   * While dealing out a class, give no more rows to clients already holding n/clients rows
   * (as in the reference code of Wang et al. 2020 / Li et al. 2022, NIID-Bench). Default true;
   * false gives the plain scheme of Hsu et al. 2019.
   */
  readonly balance?: boolean;
}

/**
 * Label skew: for each class, client proportions p ~ Dirichlet(alpha) and the class's rows
 * (shuffled) are cut at the cumulative proportions. Small alpha (0.1) gives each client few
 * classes; large alpha (100) approaches IID.
 */
export function dirichlet(labels: Labels, classCount: number, clients: number, alpha: number, rng: Rng, options: DirichletOptions = {}): number[][] {
  const { minPerClient = 1, maxAttempts = 1000, balance = true } = options;
  checkClients(labels.length, clients, minPerClient);
  checkAlpha(alpha);
  checkLabels(labels, classCount);
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new PartitionError(`maxAttempts must be a whole number ≥ 1, got ${maxAttempts}`);
  const byClass = rowsByClass(labels, classCount);
  const fairShare = labels.length / clients;
  let bestSmallest = 0;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const parts = Array.from({ length: clients }, (): number[] => []);
    for (const classRows of byClass) {
      if (classRows.length === 0) continue;
      const rows = rng.shuffle(classRows.slice());
      let p = rng.dirichlet(alpha, clients);
      if (balance) {
        const capped = p.map((x, c) => ((parts[c] as number[]).length < fairShare ? x : 0));
        const total = capped.reduce((s, x) => s + x, 0);
        if (total > 0) p = capped.map((x) => x / total);
      }
      let start = 0;
      let cumulative = 0;
      for (let c = 0; c < clients; c++) {
        cumulative += p[c] as number;
        const end = c === clients - 1 ? rows.length : Math.max(start, Math.min(rows.length, Math.floor(cumulative * rows.length)));
        const part = parts[c] as number[];
        for (let i = start; i < end; i++) part.push(rows[i] as number);
        start = end;
      }
    }
    const smallest = parts.reduce((min, part) => Math.min(min, part.length), Infinity);
    if (smallest >= minPerClient) return sorted(parts);
    bestSmallest = Math.max(bestSmallest, smallest);
  }
  throw new PartitionError(
    `Dirichlet(${alpha}) split over ${clients} clients left some client with fewer than ${minPerClient} rows in all ${maxAttempts} draws ` +
      `(best draw: ${bestSmallest}); raise alpha, use fewer clients or lower minPerClient`,
  );
}

export interface ShardOptions {
  /** Default 2, as in McMahan et al. 2017. */
  readonly shardsPerClient?: number;
}

/**
 * Pathological non-IID split of McMahan et al. 2017: rows sorted by label (shuffled within
 * a label), cut into clients × shardsPerClient shards of equal size (±1 row), and each
 * client given shardsPerClient shards at random. Most clients see ≤ shardsPerClient labels.
 */
export function shards(labels: Labels, clients: number, rng: Rng, options: ShardOptions = {}): number[][] {
  const { shardsPerClient = 2 } = options;
  if (!Number.isInteger(shardsPerClient) || shardsPerClient < 1) {
    throw new PartitionError(`shardsPerClient must be a whole number ≥ 1, got ${shardsPerClient}`);
  }
  checkClients(labels.length, clients, shardsPerClient);
  let classCount = 0;
  for (let i = 0; i < labels.length; i++) classCount = Math.max(classCount, (labels[i] as number) + 1);
  checkLabels(labels, Math.max(classCount, 1));
  // Stable counting sort of a random permutation: by label, random within a label.
  const byClass = Array.from({ length: classCount }, (): number[] => []);
  for (const row of rng.permutation(labels.length)) (byClass[labels[row] as number] as number[]).push(row);
  const order = byClass.flat();
  const count = clients * shardsPerClient;
  const bounds = Array.from({ length: count + 1 }, (_, s) => Math.floor((s * order.length) / count));
  const shardOrder = rng.permutation(count);
  const parts = Array.from({ length: clients }, (_, c) => {
    const part: number[] = [];
    for (let t = 0; t < shardsPerClient; t++) {
      const s = shardOrder[c * shardsPerClient + t] as number;
      for (let i = bounds[s] as number; i < (bounds[s + 1] as number); i++) part.push(order[i] as number);
    }
    return part;
  });
  return sorted(parts);
}

export interface QuantityOptions {
  /** Concentration of the Dirichlet over client sizes: small alpha, very unequal sizes. */
  readonly alpha: number;
  /** Default 1. */
  readonly minPerClient?: number;
}

/**
 * Quantity skew: client sizes = minPerClient + (size − clients·minPerClient)·p with
 * p ~ Dirichlet(alpha), rounded by largest remainder so they sum to size; rows are
 * dealt IID (random permutation cut into runs of those sizes).
 */
export function quantitySkew(size: number, clients: number, rng: Rng, options: QuantityOptions): number[][] {
  const { alpha, minPerClient = 1 } = options;
  if (!Number.isInteger(size) || size < 0) throw new PartitionError(`size must be a whole number ≥ 0, got ${size}`);
  checkClients(size, clients, minPerClient);
  checkAlpha(alpha);
  const rest = size - clients * minPerClient;
  const share = rng.dirichlet(alpha, clients).map((p) => p * rest);
  const sizes = share.map((x) => Math.floor(x));
  let left = rest - sizes.reduce((s, x) => s + x, 0);
  const byRemainder = share.map((x, c) => ({ c, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.c - b.c);
  for (const { c } of byRemainder) {
    if (left-- <= 0) break;
    sizes[c] = (sizes[c] as number) + 1;
  }
  return sorted(cut(rng.permutation(size), sizes.map((s) => s + minPerClient)));
}

/**
 * Splits rows among clients by spec, seeded: `new Rng(seed).fork('partition')`, so the
 * split does not share a stream with other uses of the same seed. See the module invariant.
 */
export function partition(spec: PartitionSpec, labels: Labels, classCount: number, clients: number, seed: Seed): number[][] {
  const rng = new Rng(seed).fork('partition');
  switch (spec.kind) {
    case 'iid':
      checkLabels(labels, classCount);
      return iid(labels, clients, rng);
    case 'dirichlet':
      return dirichlet(labels, classCount, clients, spec.alpha, rng, spec.minPerClient === undefined ? {} : { minPerClient: spec.minPerClient });
    case 'shards':
      checkLabels(labels, classCount);
      return shards(labels, clients, rng, spec.shardsPerClient === undefined ? {} : { shardsPerClient: spec.shardsPerClient });
    case 'quantity':
      checkLabels(labels, classCount);
      return quantitySkew(labels.length, clients, rng, spec);
    default: {
      const unknown: never = spec;
      throw new PartitionError(`unknown partition kind ${JSON.stringify((unknown as { kind: unknown }).kind)}`);
    }
  }
}

/** Throws PartitionError unless `parts` holds every row in [0, size) exactly once. */
export function assertPartition(parts: readonly ArrayLike<number>[], size: number): void {
  const seen = new Uint8Array(size);
  let total = 0;
  parts.forEach((part, c) => {
    for (let i = 0; i < part.length; i++) {
      const row = part[i] as number;
      if (!Number.isInteger(row) || row < 0 || row >= size) throw new PartitionError(`client ${c} holds row ${row}, outside [0, ${size})`);
      if (seen[row] === 1) throw new PartitionError(`row ${row} is given to more than one client (again to client ${c})`);
      seen[row] = 1;
      total++;
    }
  });
  if (total !== size) throw new PartitionError(`the clients hold ${total} of ${size} rows`);
}

/** Per client, how many rows of each class it holds. */
export function labelHistograms(labels: Labels, parts: readonly ArrayLike<number>[], classCount: number): number[][] {
  return parts.map((part) => {
    const counts = new Array<number>(classCount).fill(0);
    for (let i = 0; i < part.length; i++) {
      const label = labels[part[i] as number] as number;
      counts[label] = (counts[label] as number) + 1;
    }
    return counts;
  });
}

/**
 * Label skew: the mean over non-empty clients of the total-variation distance between the
 * client's label distribution and the global one. 0 = every client mirrors the whole; near 1 =
 * clients hold classes that are rare overall.
 */
export function labelSkew(labels: Labels, parts: readonly ArrayLike<number>[], classCount: number): number {
  const global = new Array<number>(classCount).fill(0);
  for (let i = 0; i < labels.length; i++) global[labels[i] as number] = (global[labels[i] as number] as number) + 1;
  const n = labels.length;
  let sum = 0;
  let counted = 0;
  for (const histogram of labelHistograms(labels, parts, classCount)) {
    const size = histogram.reduce((s, x) => s + x, 0);
    if (size === 0) continue;
    let tv = 0;
    for (let k = 0; k < classCount; k++) tv += Math.abs((histogram[k] as number) / size - (global[k] as number) / n);
    sum += tv / 2;
    counted++;
  }
  return counted === 0 ? 0 : sum / counted;
}

export interface PartitionStats {
  readonly clients: number;
  readonly sizes: readonly number[];
  readonly minSize: number;
  readonly maxSize: number;
  /** Standard deviation of client sizes over their mean. */
  readonly sizeCv: number;
  /** Distinct labels per client. */
  readonly labelsPerClient: readonly number[];
  readonly meanLabelsPerClient: number;
  /** labelSkew: mean total-variation distance to the global label distribution. */
  readonly skew: number;
}

export function partitionStats(labels: Labels, parts: readonly ArrayLike<number>[], classCount: number): PartitionStats {
  const sizes = parts.map((part) => part.length);
  const mean = sizes.reduce((s, x) => s + x, 0) / Math.max(1, sizes.length);
  const variance = sizes.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, sizes.length);
  const labelsPerClient = labelHistograms(labels, parts, classCount).map((h) => h.filter((x) => x > 0).length);
  return {
    clients: parts.length,
    sizes,
    minSize: sizes.length === 0 ? 0 : sizes.reduce((a, b) => Math.min(a, b)),
    maxSize: sizes.length === 0 ? 0 : sizes.reduce((a, b) => Math.max(a, b)),
    sizeCv: mean === 0 ? 0 : Math.sqrt(variance) / mean,
    labelsPerClient,
    meanLabelsPerClient: labelsPerClient.reduce((s, x) => s + x, 0) / Math.max(1, labelsPerClient.length),
    skew: labelSkew(labels, parts, classCount),
  };
}
