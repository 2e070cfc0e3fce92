/**
 * The genesis version of a preset task, written from docs/PROTOCOL.md Appendix A alone, as an
 * outside implementation would: no TF.js and nothing from node/, only the arithmetic the appendix
 * states (the task seed's fold, splitmix32, sfc32, the layer seeds, Alea/Mash, Glorot-uniform
 * limits, float64 → float32 rounding, the GFLW f32 layout of §3.3 with the round tag of §3.7).
 * genesis-vectors.test.ts checks that it produces the reference's blob byte for byte.
 */

const U32 = 2 ** 32;

/** x mod 2^32 as an unsigned 32-bit integer, for any safe integer x (A.3). */
function mod32(x: number): number {
  return Number(((BigInt(x) % 4294967296n) + 4294967296n) % 4294967296n);
}

/** A.3: the 32-bit seed of the task's `model.seed` (a safe integer, possibly negative). */
export function foldSeed(seed: number): number {
  return (mod32(seed) ^ mod32(Math.floor(seed / U32))) >>> 0;
}

/** A.3: the 4 × 32-bit sfc32 state from splitmix32, then 12 outputs discarded. */
export class TaskRng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed32: number) {
    let s = seed32 >>> 0;
    const mix = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = mix();
    this.#b = mix();
    this.#c = mix();
    this.#d = mix();
    for (let i = 0; i < 12; i++) this.next32();
  }

  next32(): number {
    const t = (this.#a + this.#b + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = (this.#b ^ (this.#b >>> 9)) >>> 0;
    this.#b = (this.#c + ((this.#c << 3) >>> 0)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }

  /** A.3: a layer seed in [0, 2^31) from two outputs. */
  layerSeed(): number {
    const first = this.next32();
    const second = this.next32();
    return (first >>> 5) * 16 + (second >>> 28);
  }
}

/** A.4: Alea seeded through Mash with the decimal string of a layer seed. */
export function alea(seedText: string): () => number {
  let n = 0xefc8249d;
  const mash = (text: string): number => {
    for (let i = 0; i < text.length; i++) {
      n += text.charCodeAt(i);
      let h = 0.02519603282416938 * n;
      n = Math.floor(h) % U32; // h ≥ 0: ToUint32 is floor mod 2^32
      h -= n;
      h *= n;
      n = Math.floor(h) % U32;
      h -= n;
      n += h * U32;
    }
    return (Math.floor(n) % U32) * 2 ** -32;
  };
  let s0 = mash(' ');
  let s1 = mash(' ');
  let s2 = mash(' ');
  s0 -= mash(seedText);
  if (s0 < 0) s0 += 1;
  s1 -= mash(seedText);
  if (s1 < 0) s1 += 1;
  s2 -= mash(seedText);
  if (s2 < 0) s2 += 1;
  let c = 1;
  return () => {
    const t = 2091639 * s0 + c * 2 ** -32;
    s0 = s1;
    s1 = s2;
    c = Math.floor(t);
    s2 = t - c;
    return s2;
  };
}

export interface SpecTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** A.2 + A.5: the preset's tensors, in blob order, with their initial values. */
export function presetTensors(hidden: readonly number[], featureCount: number, classCount: number, seed: number): { tensors: SpecTensor[]; layerSeeds: number[] } {
  const rng = new TaskRng(foldSeed(seed));
  const layers = [...hidden.map((units, i) => ({ name: `hidden${i + 1}`, units })), { name: 'output', units: classCount }];
  const tensors: SpecTensor[] = [];
  const layerSeeds: number[] = [];
  let fanIn = featureCount;
  for (const layer of layers) {
    const layerSeed = rng.layerSeed();
    layerSeeds.push(layerSeed);
    const fanOut = layer.units;
    const limit = Math.sqrt(3 * (1 / Math.max(1, (fanIn + fanOut) / 2)));
    const random = alea(String(layerSeed));
    const kernel = new Float32Array(fanIn * fanOut);
    for (let i = 0; i < kernel.length; i++) kernel[i] = -limit + (limit - -limit) * random();
    tensors.push({ name: `${layer.name}/kernel`, shape: [fanIn, fanOut], values: kernel });
    tensors.push({ name: `${layer.name}/bias`, shape: [fanOut], values: new Float32Array(fanOut) });
    fanIn = fanOut;
  }
  return { tensors, layerSeeds };
}

/** §3.2, §3.3, §3.7: the GFLW f32 blob of the tensors followed by the round tag `round/0`. */
export function genesisBlobFromSpec(tensors: readonly SpecTensor[]): Uint8Array {
  const all = [...tensors, { name: 'round/0', shape: [0], values: new Float32Array(0) }];
  const manifest: number[] = [];
  const u32 = (x: number) => manifest.push(x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, (x >>> 24) & 0xff);
  u32(all.length);
  for (const t of all) {
    const name = new TextEncoder().encode(t.name);
    manifest.push(name.length & 0xff, name.length >>> 8, ...name, 1, t.shape.length);
    for (const d of t.shape) u32(d);
  }
  const padding = (4 - ((12 + manifest.length) % 4)) % 4;
  const parameters = all.reduce((sum, t) => sum + t.values.length, 0);
  const out = new Uint8Array(12 + manifest.length + padding + 4 * parameters);
  const view = new DataView(out.buffer);
  out.set([0x47, 0x46, 0x4c, 0x57, 1, 1, 0, 0]);
  view.setUint32(8, manifest.length, true);
  out.set(manifest, 12);
  let at = 12 + manifest.length + padding;
  for (const t of all) {
    for (const v of t.values) {
      view.setFloat32(at, v, true);
      at += 4;
    }
  }
  return out;
}
