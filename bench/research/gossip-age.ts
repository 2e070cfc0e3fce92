/**
 * Research experiment, not a benchmark and not our protocol: gossip learning against federated
 * averaging in an idealised copy of the setting of Hegedűs et al. (DAIS 2019, JPDC 2021) as their
 * public simulator (GoLF) configures it, to see whether their "gossip outperforms federated
 * learning on uniform data" appears at all when communication is counted in model transfers.
 *
 * - Softmax regression on standardised MNIST features, per-sample SGD (batch 1) at rate
 *   eta / age with L2 weight `lambda` (age = samples the model has been trained on).
 * - Gossip, synchronous cycles. `push` (GoLF): every node sends its model to a random other node;
 *   a node merges each model it receives into its own (weighted by age, age = the larger) and
 *   trains the merge. `pull` (the shape of our gossip mode): every node merges one random other
 *   node's model (as it was at the cycle's start) into its own and trains.
 * - FedAvg: every client every round trains from the global model; the server adds the mean
 *   change (ages included). A round moves 2 models per client, a gossip cycle 1 per node.
 * - Accuracy on 500 test digits: the mean over 10 fixed nodes for gossip, the global model for FedAvg.
 *
 *   node bench/research/gossip-age.ts [--skew] [--mode push|pull] [--age max|sum] [--rate age|transfers] [--transfers 60] [--nodes 100]
 *
 * `--skew` gives every node the digits of one class; `--age sum` makes a merge add the ages (so
 * steps shrink much faster); `--rate transfers` replaces the age in the step size by a clock
 * both algorithms share: samples per node × (transfers per node so far − 1) + the sample's index
 * in the epoch. Results are in sim/README.md (scenario 2).
 */
import { parseArgs } from 'node:util';
import { mnistSplit } from '../../node/learn/data/mnist.ts';
import type { Dataset } from '../../node/learn/data/dataset.ts';
import { Rng } from '../../node/learn/rng.ts';

const { values: args } = parseArgs({
  options: {
    skew: { type: 'boolean', default: false },
    mode: { type: 'string', default: 'push' },
    age: { type: 'string', default: 'max' },
    rate: { type: 'string', default: 'age' },
    transfers: { type: 'string', default: '60' },
    nodes: { type: 'string', default: '100' },
  },
});
const NODES = Number(args.nodes);
const TRANSFERS = Number(args.transfers);
const LAMBDA = 1e-4;
const ETA = 1 / LAMBDA;
const FEATURES = 784;
const WIDTH = FEATURES + 1; // + bias input
const CLASSES = 10;
if (!['push', 'pull'].includes(args.mode!) || !['max', 'sum'].includes(args.age!) || !['age', 'transfers'].includes(args.rate!) || !(TRANSFERS >= 2) || !(NODES >= 2)) {
  throw new Error('usage: --mode push|pull, --age max|sum, --rate age|transfers, --transfers ≥ 2, --nodes ≥ 2');
}

interface Model {
  readonly w: Float64Array;
  age: number;
}

const { train, test } = await mnistSplit();
const standardise = standardiser(train);
const trainRows = Array.from({ length: train.size }, (_, i) => standardise(train, i));
const testRows = Array.from({ length: 500 }, (_, i) => standardise(test, i));
const rng = new Rng(1);
const shards = deal(rng);

function standardiser(data: Dataset): (from: Dataset, row: number) => Float64Array {
  const mean = new Float64Array(FEATURES);
  const sd = new Float64Array(FEATURES);
  for (let i = 0; i < data.size; i++) for (let j = 0; j < FEATURES; j++) mean[j]! += data.features[i * FEATURES + j]! / data.size;
  for (let i = 0; i < data.size; i++) for (let j = 0; j < FEATURES; j++) sd[j]! += (data.features[i * FEATURES + j]! - mean[j]!) ** 2 / data.size;
  for (let j = 0; j < FEATURES; j++) sd[j] = Math.sqrt(sd[j]!) || 1;
  return (from, row) => {
    const x = new Float64Array(WIDTH);
    for (let j = 0; j < FEATURES; j++) x[j] = (from.features[row * FEATURES + j]! - mean[j]!) / sd[j]!;
    x[FEATURES] = 1;
    return x;
  };
}

/** Training rows per node: shuffled and dealt evenly, or (skew) each node gets one class's rows. */
function deal(random: Rng): number[][] {
  const shards: number[][] = Array.from({ length: NODES }, () => []);
  const order = random.permutation(train.size);
  if (!args.skew) {
    order.forEach((row, i) => shards[i % NODES]!.push(row));
    return shards;
  }
  const seen = new Array<number>(CLASSES).fill(0);
  for (const row of order) {
    const label = train.labels[row]!;
    const owners = Math.ceil((NODES - label) / CLASSES); // nodes label, label + 10, …
    shards[label + CLASSES * (seen[label]!++ % owners)]!.push(row);
  }
  return shards;
}

function scores(model: Model, x: Float64Array, into: Float64Array): void {
  for (let k = 0; k < CLASSES; k++) {
    let z = 0;
    for (let j = 0; j < WIDTH; j++) z += model.w[k * WIDTH + j]! * x[j]!;
    into[k] = z;
  }
}

/**
 * One epoch of per-sample SGD at rate ETA / age with L2 weight LAMBDA; with `--rate transfers`,
 * ETA / (samples per node × (transfers − 1) + step) instead, where `transfers` counts this
 * node's model transfers so far.
 */
function trainOn(model: Model, rows: readonly number[], random: Rng, transfers: number): void {
  const p = new Float64Array(CLASSES);
  const clock = (train.size / NODES) * (transfers - 1);
  for (const [step, i] of random.permutation(rows.length).entries()) {
    const row = rows[i]!;
    const x = trainRows[row]!;
    scores(model, x, p);
    const max = Math.max(...p);
    let sum = 0;
    for (let k = 0; k < CLASSES; k++) sum += p[k] = Math.exp(p[k]! - max);
    model.age += 1;
    const rate = ETA / (args.rate === 'age' ? model.age : clock + step + 1);
    const shrink = 1 - rate * LAMBDA;
    for (let k = 0; k < CLASSES; k++) {
      const error = p[k]! / sum - (k === train.labels[row] ? 1 : 0);
      for (let j = 0; j < WIDTH; j++) model.w[k * WIDTH + j] = shrink * model.w[k * WIDTH + j]! - rate * error * x[j]!;
    }
  }
}

function merge(own: Model, other: Model): Model {
  const total = own.age + other.age;
  const weight = total === 0 ? 0.5 : other.age / total;
  const w = own.w.map((v, i) => (1 - weight) * v + weight * other.w[i]!);
  return { w, age: args.age === 'sum' ? total : Math.max(own.age, other.age) };
}

function accuracy(model: Model): number {
  const p = new Float64Array(CLASSES);
  let right = 0;
  testRows.forEach((x, i) => {
    scores(model, x, p);
    if (p.indexOf(Math.max(...p)) === test.labels[i]) right++;
  });
  return right / testRows.length;
}

const fresh = (): Model => ({ w: new Float64Array(CLASSES * WIDTH), age: 0 });
const copy = (m: Model): Model => ({ w: m.w.slice(), age: m.age });
const otherThan = (node: number, random: Rng) => (node + 1 + random.int(NODES - 1)) % NODES;
const watched = Array.from({ length: 10 }, (_, i) => Math.floor((i * NODES) / 10));

function gossip(): number[] {
  const nodes = Array.from({ length: NODES }, fresh);
  const random = rng.fork('gossip');
  const curve: number[] = [];
  for (let cycle = 1; cycle <= TRANSFERS; cycle++) {
    const atStart = nodes.map(copy);
    if (args.mode === 'push') {
      const inbox: Model[][] = Array.from({ length: NODES }, () => []);
      for (let node = 0; node < NODES; node++) inbox[otherThan(node, random)]!.push(atStart[node]!);
      for (let node = 0; node < NODES; node++) {
        for (const received of inbox[node]!) {
          nodes[node] = merge(nodes[node]!, received);
          trainOn(nodes[node]!, shards[node]!, random.fork(`${cycle}/${node}`), cycle);
        }
      }
    } else {
      for (let node = 0; node < NODES; node++) {
        nodes[node] = merge(nodes[node]!, atStart[otherThan(node, random)]!);
        trainOn(nodes[node]!, shards[node]!, random.fork(`${cycle}/${node}`), cycle);
      }
    }
    curve.push(watched.reduce((sum, node) => sum + accuracy(nodes[node]!), 0) / watched.length);
  }
  console.log(`gossip models' mean age after ${TRANSFERS} cycles: ${(nodes.reduce((s, m) => s + m.age, 0) / NODES).toFixed(0)}`);
  return curve;
}

function fedAvg(): number[] {
  const global = fresh();
  const random = rng.fork('fedavg');
  const curve: number[] = [];
  for (let round = 1; round <= TRANSFERS / 2; round++) {
    const change = new Float64Array(global.w.length);
    let ageChange = 0;
    for (let client = 0; client < NODES; client++) {
      const local = copy(global);
      trainOn(local, shards[client]!, random.fork(`${round}/${client}`), 2 * round);
      local.w.forEach((v, i) => (change[i]! += (v - global.w[i]!) / NODES));
      ageChange += (local.age - global.age) / NODES;
    }
    change.forEach((v, i) => (global.w[i]! += v));
    global.age += ageChange;
    curve.push(accuracy(global));
  }
  console.log(`FedAvg model's age after ${TRANSFERS / 2} rounds: ${global.age.toFixed(0)}`);
  return curve;
}

console.log(`${NODES} nodes, ${args.skew ? 'one class per node' : 'uniform'}, ${args.mode} gossip, merged age = ${args.age}, step size by ${args.rate}`);
const gossipCurve = gossip();
const fedAvgCurve = fedAvg();
console.log('transfers per node | gossip | fedavg');
for (let t = 2; t <= TRANSFERS; t += 2) {
  if (t % 10 === 0 || t === 2) console.log(`${t} | ${gossipCurve[t - 1]!.toFixed(3)} | ${fedAvgCurve[t / 2 - 1]!.toFixed(3)}`);
}
