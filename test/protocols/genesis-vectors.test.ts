/**
 * docs/PROTOCOL.md §4.8 (models and the genesis version) against the code: the preset table, the
 * tensor layout, the generator known answers and the genesis vectors are read from the document
 * and recomputed twice — by the reference (a task manifest → Learner.genesisBlob, the path a peer
 * takes) and by genesis-spec.ts, written from the document's arithmetic alone — so the test fails
 * when the document, the code or the specification drift apart.
 */
import { createHash } from 'node:crypto';
import seedrandom from 'seedrandom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../node/learn/backend.ts';
import { PRESETS, isPresetName, type PresetName } from '../../node/learn/model.ts';
import { Rng } from '../../node/learn/rng.ts';
import { decodeWeights, tensorOffsets, type FlatWeights } from '../../node/learn/weights/index.ts';
import { Learner } from '../../node/peer/learner.ts';
import { parseTaskManifest, taskDataSchema, taskModelSpec } from '../../node/task/manifest.ts';
import { docPart, tableRows } from './doc-tables.ts';
import { alea, foldSeed, genesisBlobFromSpec, presetTensors, TaskRng } from './genesis-spec.ts';

const SECTION = docPart('### 4.8 ', '---');
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const float32Bits = (value: number) => new Uint32Array(new Float32Array([value]).buffer)[0]!.toString(16).padStart(8, '0');
/** The doc writes minus signs as U+2212 and groups digits with spaces. */
const docNumber = (text: string) => Number(text.replaceAll('−', '-').replace(/\s/g, ''));

function presetOf(cell: string): PresetName {
  if (!isPresetName(cell)) throw new Error(`§4.8 names an unknown preset "${cell}"`);
  return cell;
}

const learners: Learner[] = [];
const made = new Map<string, Promise<Uint8Array>>();

/** The reference's genesis blob of a preset task, made the way a peer makes it (once per task). */
function referenceGenesis(preset: PresetName, features: number, classes: number, seed: number): Promise<Uint8Array> {
  const key = `${preset}/${features}/${classes}/${seed}`;
  let blob = made.get(key);
  if (blob === undefined) made.set(key, (blob = makeGenesis(preset, features, classes, seed)));
  return blob;
}

async function makeGenesis(preset: PresetName, features: number, classes: number, seed: number): Promise<Uint8Array> {
  const data = features === 784 && classes === 10
    ? '{ builtin: mnist }'
    : `{ featureCount: ${features}, classes: [${Array.from({ length: classes }, (_, i) => `c${i}`).join(', ')}], labelColumn: y }`;
  const task = parseTaskManifest(`version: 1\nid: genesis-kat\nmodel: { preset: ${preset}, seed: ${seed} }\ndata: ${data}\nstopping: { rounds: 1 }\n`, 'genesis-vectors');
  const schema = taskDataSchema(task);
  expect({ features: schema.featureCount, classes: schema.classes.length }).toEqual({ features, classes });
  const shape = { featureCount: schema.featureCount, classCount: schema.classes.length };
  const learner = await Learner.create({
    task,
    model: taskModelSpec(task, 'genesis-vectors.yaml'),
    shape,
    data: { name: 'none', size: 0, ...shape, features: new Float32Array(0), labels: new Int32Array(0) },
    seed: 'genesis-vectors',
  });
  learners.push(learner);
  return learner.genesisBlob();
}

function tensor(weights: FlatWeights, name: string): { shape: readonly number[]; values: Float32Array } {
  const index = weights.manifest.tensors.findIndex((t) => t.name === name);
  if (index < 0) throw new Error(`the genesis blob has no tensor ${name}`);
  const offsets = tensorOffsets(weights.manifest);
  const spec = weights.manifest.tensors[index]!;
  const size = spec.shape.reduce((p, d) => p * d, 1);
  return { shape: spec.shape, values: weights.values.subarray(offsets[index]!, offsets[index]! + size) };
}

beforeAll(async () => {
  await selectBackend();
});

afterAll(() => {
  for (const learner of learners) learner.dispose();
});

describe('PROTOCOL §4.8.2 presets', () => {
  it('lists exactly the presets of node/learn/model.ts with their hidden widths', () => {
    const rows = tableRows(SECTION, ['preset', 'hidden widths', 'layers, in order']);
    const documented = Object.fromEntries(rows.map(([preset, widths]) => [presetOf(preset!), widths === 'none' ? [] : widths!.split(',').map(docNumber)]));
    expect(documented).toEqual(Object.fromEntries(Object.entries(PRESETS).map(([name, widths]) => [name, [...widths]])));
    for (const [preset, , layers] of rows) {
      const hidden = PRESETS[presetOf(preset!)];
      const expected = [...hidden.map((units, i) => `hidden${i + 1} (${units} units, ReLU)`), 'output (C units, softmax)'].join(', ');
      expect(layers).toBe(expected);
    }
  });

  it('gives the tensor layout of mlp on MNIST that the reference builds', async () => {
    const rows = tableRows(SECTION, ['#', 'name', 'shape']);
    const blob = await referenceGenesis('mlp', 784, 10, 0);
    const { manifest } = decodeWeights(blob);
    const model = manifest.tensors.slice(0, -1).map((t, i) => [String(i), t.name, `[${t.shape.join(', ')}]`]);
    expect(rows).toEqual(model);
    expect(manifest.tensors.at(-1)).toEqual({ name: 'round/0', shape: [0], dtype: 'float32' });
    const parameters = manifest.tensors.reduce((sum, t) => sum + t.shape.reduce((p, d) => p * d, 1), 0);
    const stated = /\(([\d ]+) parameters; with the tag `round\/0` the genesis blob is ([\d ]+) bytes\.\)/.exec(SECTION);
    expect(stated).not.toBeNull();
    expect([parameters, blob.byteLength]).toEqual([docNumber(stated![1]!), docNumber(stated![2]!)]);
  });
});

describe('PROTOCOL §4.8.3–4.8.5 generator known answers', () => {
  it('the sfc32 outputs after the discarded ones match the reference Rng and the written arithmetic', () => {
    const stated = /`s32 = 0` → the\s+outputs after the 12 discarded ones begin `([0-9a-f ]+)`/.exec(SECTION);
    expect(stated).not.toBeNull();
    const words = stated![1]!.split(' ');
    const reference = new Rng(0);
    const written = new TaskRng(foldSeed(0));
    const hex = (x: number) => x.toString(16).padStart(8, '0');
    expect(words.map(() => hex(reference.nextUint32()))).toEqual(words);
    expect(words.map(() => hex(written.next32()))).toEqual(words);
  });

  it('the Alea outputs match seedrandom (the PRNG TF.js uses) and the written arithmetic', () => {
    const stated = /seed `"(\d+)"` → ([\d.]+), ([\d.]+), ([\d.]+)/.exec(SECTION);
    expect(stated).not.toBeNull();
    const [, seed, ...outputs] = stated!;
    const reference = seedrandom.alea(seed!);
    const written = alea(seed!);
    expect(outputs.map(() => String(reference()))).toEqual(outputs);
    expect(outputs.map(() => String(written()))).toEqual(outputs);
  });

  it('the stated hidden1 limit of mlp on MNIST is the binary64 the arithmetic gives', () => {
    const stated = /`limit = sqrt\(3 · \(1\/(\d+)\)\)` \(binary64 `0x([0-9a-f]{16})`/.exec(SECTION);
    expect(stated).not.toBeNull();
    const limit = Math.sqrt(3 * (1 / Math.max(1, (784 + 200) / 2)));
    expect(Number(stated![1])).toBe((784 + 200) / 2);
    const bytes = Buffer.alloc(8);
    bytes.writeDoubleBE(limit);
    expect(bytes.toString('hex')).toBe(stated![2]);
  });

  it('seeds S and −S − 1 fold alike, so 0 and −1 give the same genesis', async () => {
    expect(foldSeed(-1)).toBe(foldSeed(0));
    expect(foldSeed(-43)).toBe(foldSeed(42));
    expect(sha256(await referenceGenesis('logreg', 2, 2, -1))).toBe(sha256(await referenceGenesis('logreg', 2, 2, 0)));
    expect(sha256(await referenceGenesis('logreg', 2, 2, 1))).not.toBe(sha256(await referenceGenesis('logreg', 2, 2, 0)));
  });
});

describe('PROTOCOL §4.8.7 genesis known answers', () => {
  const vectors = tableRows(SECTION, ['preset', 'F', 'C', 'seed', 'layer seeds', 'blob bytes', 'genesis sha256']).map(([preset, f, c, seed, layerSeeds, bytes, hash]) => ({
    preset: presetOf(preset!),
    features: docNumber(f!),
    classes: docNumber(c!),
    seed: docNumber(seed!),
    layerSeeds: layerSeeds!.split(',').map(docNumber),
    bytes: docNumber(bytes!),
    hash: hash!,
  }));

  it('has one vector per preset', () => {
    expect(vectors.map((v) => v.preset).sort()).toEqual(Object.keys(PRESETS).sort());
  });

  for (const v of vectors) {
    it(`${v.preset}, F = ${v.features}, C = ${v.classes}, seed ${v.seed}: the reference's genesis blob, and the written arithmetic's, are the documented one`, async () => {
      const reference = await referenceGenesis(v.preset, v.features, v.classes, v.seed);
      expect({ bytes: reference.byteLength, hash: sha256(reference) }).toEqual({ bytes: v.bytes, hash: v.hash });
      const written = presetTensors(PRESETS[v.preset], v.features, v.classes, v.seed);
      expect(written.layerSeeds).toEqual(v.layerSeeds);
      expect(Buffer.from(genesisBlobFromSpec(written.tensors)).equals(Buffer.from(reference))).toBe(true);
      const decoded = decodeWeights(reference);
      for (const spec of decoded.manifest.tensors.filter((t) => t.name.endsWith('/bias'))) {
        expect(tensor(decoded, spec.name).values.every((x) => Object.is(x, 0))).toBe(true);
      }
    });
  }

  it('states the first kernel values the reference draws, in bits and in decimal', async () => {
    const rows = tableRows(SECTION, ['preset', 'tensor', 'shape', 'first three values (bits)', 'first three values']);
    const documentedKernels = rows.map(([preset, name]) => `${preset} ${name}`).sort();
    const expectedKernels = vectors.flatMap((v) => [...PRESETS[v.preset].map((_, i) => `hidden${i + 1}`), 'output'].map((layer) => `${v.preset} ${layer}/kernel`)).sort();
    expect(documentedKernels).toEqual(expectedKernels);
    for (const [preset, name, shape, bits, decimals] of rows) {
      const v = vectors.find((vector) => vector.preset === preset)!;
      const decoded = decodeWeights(await referenceGenesis(v.preset, v.features, v.classes, v.seed));
      const t = tensor(decoded, name!);
      expect(`[${t.shape.join(', ')}]`).toBe(shape);
      const first = [...t.values.subarray(0, 3)];
      expect(first.map(float32Bits).join(' ')).toBe(bits);
      expect(decimals!.split(',').map((d) => float32Bits(docNumber(d))).join(' ')).toBe(bits);
    }
  });
});
