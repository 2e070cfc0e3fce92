/**
 * base + Σ w_k · x_k over float32 arrays, accumulated in float64: the inner loop of every
 * aggregation strategy. A plain JavaScript loop runs at about a third of the speed of copying
 * the same bytes (V8 does not vectorise it); this one walks the arrays in blocks that stay in
 * cache and does the arithmetic in a 2-lane float64 WebAssembly SIMD loop, each input read once.
 */

export interface WeightedTerm {
  readonly values: Float32Array;
  readonly weight: number;
}

/** Floats per block: the float64 accumulator and the float32 staging copy both fit in L2. */
const BLOCK = 4096;
const ACC_OFFSET = 0;
const SRC_OFFSET = BLOCK * 8;

interface Kernel {
  readonly acc: Float64Array;
  readonly src: Float32Array;
  /** acc[i] += weight · src[i] for i < count rounded up to a multiple of 4. */
  readonly accumulate: (accOffset: number, srcOffset: number, count: number, weight: number) => void;
}

let kernel: Kernel | undefined;

/**
 * `out[i] = (base?.[i] ?? 0) + Σ weight·values[i]`, summed in float64 and rounded once when `out` is
 * float32. Every array must have `out.length` values.
 */
export function weightedSumInto(out: Float32Array | Float64Array, base: Float32Array | undefined, terms: readonly WeightedTerm[]): void {
  const { acc, src, accumulate } = (kernel ??= instantiate());
  const n = out.length;
  for (let start = 0; start < n; start += BLOCK) {
    const end = Math.min(n, start + BLOCK);
    const count = end - start;
    if (base === undefined) acc.fill(0);
    else acc.set(base.subarray(start, end));
    for (const { values, weight } of terms) {
      src.set(values.subarray(start, end));
      accumulate(ACC_OFFSET, SRC_OFFSET, count, weight);
    }
    out.set(count === BLOCK ? acc : acc.subarray(0, count), start);
  }
}

/** The part of the WebAssembly global used here (the project's TypeScript libs do not declare it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: { memory: { buffer: ArrayBuffer }; accumulate: Kernel['accumulate'] } };
}

function instantiate(): Kernel {
  const wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
  const { memory, accumulate } = new wasm.Instance(new wasm.Module(accumulateModule())).exports;
  return {
    acc: new Float64Array(memory.buffer, ACC_OFFSET, BLOCK),
    src: new Float32Array(memory.buffer, SRC_OFFSET, BLOCK),
    accumulate,
  };
}

/**
 * The module, assembled here rather than shipped as a binary:
 *
 *   (memory (export "memory") 1)
 *   (func (export "accumulate") (param $acc i32) (param $src i32) (param $n i32) (param $w f64)
 *     (local $end i32) (local $wv v128)
 *     $wv = f64x2.splat $w;  $end = $src + 4·$n
 *     if $src < $end: loop, 4 floats per turn, two halves of:
 *       v128.store $acc (f64x2.add (v128.load $acc) (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero $src)) $wv))
 *     $acc += 32; $src += 16; while $src < $end)
 */
function accumulateModule(): Uint8Array {
  const [acc, src, n, w, end, wv] = [0, 1, 2, 3, 4, 5];
  const get = (local: number) => [0x20, local];
  const set = (local: number) => [0x21, local];
  const tee = (local: number) => [0x22, local];
  // Only small constants (< 64), where signed and unsigned LEB128 agree.
  const i32Const = (value: number) => [0x41, ...leb128(value)];
  const simd = (op: number) => [0xfd, ...leb128(op)];
  const memarg = (alignLog2: number, offset: number) => [alignLog2, ...leb128(offset)];
  const [V128_LOAD, V128_STORE, F64X2_SPLAT, LOAD64_ZERO, PROMOTE_LOW, F64X2_ADD, F64X2_MUL] = [0x00, 0x0b, 0x14, 0x5d, 0x5f, 0xf0, 0xf2];
  const [I32_ADD, I32_SHL, I32_LT_U, I32_GE_U, BLOCK_OP, LOOP, BR_IF, END, VOID] = [0x6a, 0x74, 0x49, 0x4f, 0x02, 0x03, 0x0d, 0x0b, 0x40];
  const half = (accOffset: number, srcOffset: number) => [
    ...get(acc),
    ...get(acc), ...simd(V128_LOAD), ...memarg(3, accOffset),
    ...get(src), ...simd(LOAD64_ZERO), ...memarg(2, srcOffset), ...simd(PROMOTE_LOW),
    ...get(wv), ...simd(F64X2_MUL), ...simd(F64X2_ADD),
    ...simd(V128_STORE), ...memarg(3, accOffset),
  ];
  const body = [
    ...vector([[1, 0x7f], [1, 0x7b]]), // locals: one i32, one v128
    ...get(w), ...simd(F64X2_SPLAT), ...set(wv),
    ...get(src), ...get(n), ...i32Const(2), I32_SHL, I32_ADD, ...set(end),
    BLOCK_OP, VOID, ...get(src), ...get(end), I32_GE_U, BR_IF, 0,
    LOOP, VOID,
    ...half(0, 0), ...half(16, 8),
    ...get(acc), ...i32Const(32), I32_ADD, ...set(acc),
    ...get(src), ...i32Const(16), I32_ADD, ...tee(src), ...get(end), I32_LT_U, BR_IF, 0,
    END, END, END,
  ];
  const name = (text: string) => [...leb128(text.length), ...new TextEncoder().encode(text)];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector([[0x60, 4, 0x7f, 0x7f, 0x7f, 0x7c, 0]])), // type: (i32 i32 i32 f64) -> ()
    ...section(3, vector([[0]])), // function 0 has type 0
    ...section(5, vector([[0x00, 1]])), // one memory of one 64 KiB page
    ...section(7, vector([[...name('memory'), 0x02, 0], [...name('accumulate'), 0x00, 0]])),
    ...section(10, vector([[...leb128(body.length), ...body]])),
  ]);
}

function leb128(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  do {
    const low = rest & 0x7f;
    rest >>>= 7;
    bytes.push(rest === 0 ? low : low | 0x80);
  } while (rest !== 0);
  return bytes;
}

function vector(items: readonly (readonly number[])[]): number[] {
  return [...leb128(items.length), ...items.flat()];
}

function section(id: number, contents: readonly number[]): number[] {
  return [id, ...leb128(contents.length), ...contents];
}
