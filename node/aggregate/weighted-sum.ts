/**
 * base + Σ w_k · x_k over float32 arrays, accumulated in float64: the inner loop of every
 * aggregation strategy. A plain JavaScript loop runs at about a fifth of the speed of copying
 * the same bytes (V8 does not vectorise it); this one walks the arrays in blocks that stay in
 * cache, copies each block of up to four terms into WebAssembly memory and adds them in a 2-lane
 * float64 SIMD loop, so each input is read from memory once and each accumulator once per four terms.
 */

export interface WeightedTerm {
  readonly values: Float32Array;
  readonly weight: number;
}

/** Floats per block: the float64 accumulator and four float32 staging blocks take 48 KiB. */
const BLOCK = 2048;
/** Terms added per kernel call. */
const GROUP = 4;
const ACC_OFFSET = 0;
const STAGING_OFFSET = BLOCK * 8;

interface Kernel {
  readonly acc: Float64Array;
  /** GROUP staging blocks, each BLOCK floats. */
  readonly staging: readonly Float32Array[];
  /** acc[i] += w·staging[0][i] for i < count rounded up to a multiple of 4. */
  readonly add1: (count: number, w: number) => void;
  /** acc[i] += Σ w_t·staging[t][i] (t < 4, added in order) for i < count rounded up to a multiple of 4. */
  readonly add4: (count: number, w0: number, w1: number, w2: number, w3: number) => void;
  /** staging[0][i] = float32(acc[i]) for i < count rounded up to a multiple of 4 (faster than V8's converting set). */
  readonly round: (count: number) => void;
}

let kernel: Kernel | undefined;

/**
 * `out[i] = (base?.[i] ?? 0) + Σ weight·values[i]`, summed in float64 in the order given and rounded
 * once when `out` is float32. Every array must have `out.length` values.
 */
export function weightedSumInto(out: Float32Array | Float64Array, base: Float32Array | undefined, terms: readonly WeightedTerm[]): void {
  const { acc, staging, add1, add4, round } = (kernel ??= instantiate());
  const n = out.length;
  const weights = terms.map((term) => term.weight);
  for (let start = 0; start < n; start += BLOCK) {
    const end = Math.min(n, start + BLOCK);
    const count = end - start;
    if (base === undefined) acc.fill(0);
    else acc.set(base.subarray(start, end));
    let k = 0;
    for (; k + GROUP <= terms.length; k += GROUP) {
      for (let t = 0; t < GROUP; t++) staging[t]?.set((terms[k + t] as WeightedTerm).values.subarray(start, end));
      add4(count, weights[k] as number, weights[k + 1] as number, weights[k + 2] as number, weights[k + 3] as number);
    }
    for (; k < terms.length; k++) {
      staging[0]?.set((terms[k] as WeightedTerm).values.subarray(start, end));
      add1(count, weights[k] as number);
    }
    let result: Float32Array | Float64Array = acc;
    if (out instanceof Float32Array) {
      round(count);
      result = staging[0] as Float32Array;
    }
    out.set(count === BLOCK ? result : result.subarray(0, count), start);
  }
}

/** The part of the WebAssembly global used here (the project's TypeScript libs do not declare it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: { memory: { buffer: ArrayBuffer } } & Pick<Kernel, 'add1' | 'add4' | 'round'> };
}

function instantiate(): Kernel {
  const wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
  const { memory, add1, add4, round } = new wasm.Instance(new wasm.Module(kernelModule())).exports;
  return {
    acc: new Float64Array(memory.buffer, ACC_OFFSET, BLOCK),
    staging: Array.from({ length: GROUP }, (_, t) => new Float32Array(memory.buffer, STAGING_OFFSET + t * BLOCK * 4, BLOCK)),
    add1,
    add4,
    round,
  };
}

const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;

/** The module: one 64 KiB memory and the functions add1, add4 and round, assembled here rather than shipped as a binary. */
function kernelModule(): Uint8Array {
  const name = (text: string) => [...uleb128(text.length), ...new TextEncoder().encode(text)];
  const signature = (terms: number) => [0x60, 1 + terms, I32, ...Array<number>(terms).fill(F64), 0];
  const code = (body: number[]) => [...uleb128(body.length), ...body];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector([signature(1), signature(GROUP), signature(0)])),
    ...section(3, vector([[0], [1], [2]])), // function i has type i
    ...section(5, vector([[0x00, 1]])), // one memory, one page
    ...section(7, vector([[...name('memory'), 0x02, 0], [...name('add1'), 0x00, 0], [...name('add4'), 0x00, 1], [...name('round'), 0x00, 2]])),
    ...section(10, vector([code(addFunction(1)), code(addFunction(GROUP)), code(roundFunction())])),
  ]);
}

const [V128_LOAD, V128_STORE, STORE64_LANE, F64X2_SPLAT, LOAD64_ZERO, DEMOTE_ZERO, PROMOTE_LOW, F64X2_ADD, F64X2_MUL] = [
  0x00, 0x0b, 0x5b, 0x14, 0x5d, 0x5e, 0x5f, 0xf0, 0xf2,
];
const [I32_ADD, I32_SHL, I32_LT_U, I32_GE_U, BLOCK_OP, LOOP, BR_IF, END, VOID] = [0x6a, 0x74, 0x49, 0x4f, 0x02, 0x03, 0x0d, 0x0b, 0x40];
const get = (local: number) => [0x20, local];
const set = (local: number) => [0x21, local];
const tee = (local: number) => [0x22, local];
const i32Const = (value: number) => [0x41, ...sleb128(value)];
const simd = (op: number) => [0xfd, ...uleb128(op)];
const memarg = (alignLog2: number, offset: number) => [alignLog2, ...uleb128(offset)];

/**
 * Locals `acc` = ACC_OFFSET, `src` = STAGING_OFFSET, `end` = src + 4·count; then, if count > 0,
 * `half(accOffset, srcOffset)` twice per 4 floats (2 float64 lanes each), acc += 32, src += 16.
 */
function blockLoop(count: number, acc: number, src: number, end: number, half: (accOffset: number, srcOffset: number) => number[]): number[] {
  return [
    ...i32Const(ACC_OFFSET), ...set(acc),
    ...i32Const(STAGING_OFFSET), ...set(src),
    ...get(src), ...get(count), ...i32Const(2), I32_SHL, I32_ADD, ...set(end),
    BLOCK_OP, VOID, ...get(src), ...get(end), I32_GE_U, BR_IF, 0,
    LOOP, VOID,
    ...half(0, 0), ...half(16, 8),
    ...get(acc), ...i32Const(32), I32_ADD, ...set(acc),
    ...get(src), ...i32Const(16), I32_ADD, ...tee(src), ...get(end), I32_LT_U, BR_IF, 0,
    END, END, END,
  ];
}

/** (param $count i32) (param $w0 f64)…: acc = ((acc + promote(staging0)·w0) + promote(staging1)·w1) + … */
function addFunction(terms: number): number[] {
  const [count, acc, src, end] = [0, 1 + terms, 2 + terms, 3 + terms];
  const weight = (t: number) => 1 + t;
  const splat = (t: number) => 4 + terms + t;
  const each = (make: (t: number) => number[]) => Array.from({ length: terms }, (_, t) => make(t)).flat();
  const half = (accOffset: number, srcOffset: number) => [
    ...get(acc),
    ...get(acc), ...simd(V128_LOAD), ...memarg(3, accOffset),
    ...each((t) => [...get(src), ...simd(LOAD64_ZERO), ...memarg(2, srcOffset + t * BLOCK * 4), ...simd(PROMOTE_LOW), ...get(splat(t)), ...simd(F64X2_MUL), ...simd(F64X2_ADD)]),
    ...simd(V128_STORE), ...memarg(3, accOffset),
  ];
  return [
    ...vector([[3, I32], [terms, V128]]), // locals: acc, src, end; the weights splatted
    ...each((t) => [...get(weight(t)), ...simd(F64X2_SPLAT), ...set(splat(t))]),
    ...blockLoop(count, acc, src, end, half),
  ];
}

/** (param $count i32): staging0 = demote(acc). */
function roundFunction(): number[] {
  const [count, acc, src, end] = [0, 1, 2, 3];
  const half = (accOffset: number, srcOffset: number) => [
    ...get(src),
    ...get(acc), ...simd(V128_LOAD), ...memarg(3, accOffset), ...simd(DEMOTE_ZERO),
    ...simd(STORE64_LANE), ...memarg(2, srcOffset), 0,
  ];
  return [...vector([[3, I32]]), ...blockLoop(count, acc, src, end, half)];
}

function uleb128(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  do {
    const low = rest & 0x7f;
    rest >>>= 7;
    bytes.push(rest === 0 ? low : low | 0x80);
  } while (rest !== 0);
  return bytes;
}

/** Signed LEB128, for i32.const (non-negative values here). */
function sleb128(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  for (;;) {
    const low = rest & 0x7f;
    rest >>= 7;
    if (rest === 0 && (low & 0x40) === 0) return [...bytes, low];
    bytes.push(low | 0x80);
  }
}

function vector(items: readonly (readonly number[])[]): number[] {
  return [...uleb128(items.length), ...items.flat()];
}

function section(id: number, contents: readonly number[]): number[] {
  return [id, ...uleb128(contents.length), ...contents];
}
