/**
 * WebAssembly kernels of the gradient-boosting engine's two hot loops:
 * histogram accumulation and the leaf partition. The module is assembled
 * here, from this source, when first needed (no toolchain, no dependency):
 * a few loops of loads, adds and stores. Each kernel does exactly what its
 * JavaScript twin in `histogram.ts` / `partition.ts` does, in the same order,
 * so results are bit-identical; the JavaScript loops stay the fallback
 * (buffers outside a kernel arena, or no WebAssembly).
 *
 * The kernels work on one shared `WebAssembly.Memory` (the {@link KernelArena}):
 * the engine allocates its binned columns, row ids, ordered gradients,
 * scratch and histograms in it as typed-array views, and passes byte
 * addresses. Worker threads instantiate the same module on the same memory.
 */

// ---- A minimal assembler for the binary format (https://webassembly.github.io/spec/core/binary/).

const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;

function uleb(v: number): number[] {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

function sleb(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(s: string): number[] {
  return vec([...Buffer.from(s, 'utf8')].map((b) => [b]));
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** Instructions (the few the kernels use). */
const op = {
  get: (i: number): number[] => [0x20, ...uleb(i)],
  set: (i: number): number[] => [0x21, ...uleb(i)],
  tee: (i: number): number[] => [0x22, ...uleb(i)],
  i32: (v: number): number[] => [0x41, ...sleb(v)],
  add: [0x6a],
  sub: [0x6b],
  mul: [0x6c],
  shl: [0x74],
  ltU: [0x49],
  geU: [0x4f],
  fadd: [0xa0],
  f64one: [0x44, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f],
  ld8: (off = 0): number[] => [0x2d, 0, ...uleb(off)],
  ld32: (off = 0): number[] => [0x28, 2, ...uleb(off)],
  st32: (off = 0): number[] => [0x36, 2, ...uleb(off)],
  ldf: (off = 0): number[] => [0x2b, 3, ...uleb(off)],
  stf: (off = 0): number[] => [0x39, 3, ...uleb(off)],
  /** SIMD (the 0xfd prefix): 16-byte load and store, a splat of an f64, replacing lane 1, lane-wise f64 add. */
  ldv: (off = 0): number[] => [0xfd, 0x00, 3, ...uleb(off)],
  stv: (off = 0): number[] => [0xfd, 0x0b, 3, ...uleb(off)],
  splat: [0xfd, 0x14],
  lane1: [0xfd, 0x22, 1],
  vadd: [0xfd, 0xf0, 0x01],
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  brIf: (d: number): number[] => [0x0d, ...uleb(d)],
  end: [0x0b],
};

interface Fn {
  name: string;
  params: number[];
  locals: number[];
  body: number[];
}

/** `while (ptr < end) { body }` with `ptr` and `end` locals. */
function loopWhile(ptr: number, end: number, body: number[]): number[] {
  return [
    ...op.block,
    ...op.get(ptr),
    ...op.get(end),
    ...op.geU,
    ...op.brIf(0),
    ...op.loop,
    ...body,
    ...op.get(ptr),
    ...op.get(end),
    ...op.ltU,
    ...op.brIf(0),
    ...op.end,
    ...op.end,
  ];
}

/** `local[i] += k`. */
function bump(i: number, k: number): number[] {
  return [...op.get(i), ...op.i32(k), ...op.add, ...op.set(i)];
}

/**
 * Histogram kernel over `k` features (1..4), stride 2 (`[g, count]`) or 3
 * (`[g, h, count]`), leaf rows (row ids gathered) or root (rows 0..count-1).
 * Params (byte addresses): a0..a3 (each feature's first slot), c0..c3 (each
 * feature's binned column, offset by the first row), rows (leaf only), count,
 * og, oh (stride 3). Mirrors `leaf4G` & co. in `histogram.ts`.
 */
function histKernel(k: number, stride: 2 | 3, leaf: boolean): Fn {
  const params: number[] = [];
  const A = (j: number): number => j;
  const Cc = (j: number): number => k + j;
  for (let j = 0; j < 2 * k; j++) params.push(I32);
  const ROWS = 2 * k;
  if (leaf) params.push(I32);
  const COUNT = params.length;
  params.push(I32);
  const OG = params.length;
  params.push(I32);
  const OH = params.length;
  if (stride === 3) params.push(I32);
  // Locals: ptr (over og), end, g, r (row or i), h, slot.
  const P = params.length;
  const END = P + 1;
  const R = P + 2;
  const SLOT = P + 3;
  const G = P + 4;
  const H = P + 5;
  const V = P + 6;
  const locals = [I32, I32, I32, I32, F64, F64, V128];
  const body: number[] = [];
  // end = og + 8·count; ptr = og.
  body.push(...op.get(OG), ...op.set(P), ...op.get(OG), ...op.get(COUNT), ...op.i32(3), ...op.shl, ...op.add, ...op.set(END));
  if (!leaf) body.push(...op.i32(0), ...op.set(R));
  const inner: number[] = [];
  inner.push(...op.get(P), ...op.ldf(), ...op.set(G));
  if (stride === 3) inner.push(...op.get(P), ...op.get(OG), ...op.sub, ...op.get(OH), ...op.add, ...op.ldf(), ...op.set(H));
  if (leaf) inner.push(...op.get(ROWS), ...op.ld32(), ...op.set(R));
  // The pair added to a slot's first two doubles in one 16-byte step (each lane an ordinary f64 add): (g, 1) with stride 2, (g, h) with stride 3.
  inner.push(...op.get(G), ...op.splat, ...(stride === 2 ? op.f64one : op.get(H)), ...op.lane1, ...op.set(V));
  for (let j = 0; j < k; j++) {
    // slot = a_j + stride·8·bin
    inner.push(...op.get(A(j)), ...op.get(Cc(j)), ...op.get(R), ...op.add, ...op.ld8(), ...op.i32(8 * stride), ...op.mul, ...op.add, ...op.set(SLOT));
    inner.push(...op.get(SLOT), ...op.get(SLOT), ...op.ldv(0), ...op.get(V), ...op.vadd, ...op.stv(0));
    if (stride === 3) inner.push(...op.get(SLOT), ...op.get(SLOT), ...op.ldf(16), ...op.f64one, ...op.fadd, ...op.stf(16));
  }
  if (leaf) inner.push(...bump(ROWS, 4));
  else inner.push(...bump(R, 1));
  inner.push(...bump(P, 8));
  body.push(...loopWhile(P, END, inner));
  return { name: `hist${stride}${leaf ? 'L' : 'R'}${k}`, params, locals, body };
}

/**
 * Partition kernels, mirroring `partition.ts`. Each row of `idx[s..e)` (byte
 * addresses `src..srcEnd` over the row ids, `gsrc` over the gradients, `hsrc`
 * over the hessians) is written to both the left cursor and the right
 * cursor; only the side whose `lut[col[row]]` says so moves on. Returns the
 * number of left rows. Params: src, srcEnd, gsrc, [hsrc], col, lut, li, lg,
 * [lh], ri, rg, [rh] (the left outputs may alias the sources: in-place).
 */
function splitKernel(hess: boolean): Fn {
  const params: number[] = [];
  const p = (): number => params.push(I32) - 1;
  const SRC = p();
  const SEND = p();
  const GS = p();
  const HS = hess ? p() : -1;
  const COL = p();
  const LUT = p();
  const LI = p();
  const LG = p();
  const LH = hess ? p() : -1;
  const RI = p();
  const RG = p();
  const RH = hess ? p() : -1;
  const base = params.length;
  const ROW = base;
  const LEFT = base + 1;
  const NL = base + 2;
  const G = base + 3;
  const H = base + 4;
  const locals = [I32, I32, I32, F64, F64];
  const inner: number[] = [];
  inner.push(...op.get(SRC), ...op.ld32(), ...op.set(ROW));
  inner.push(...op.get(GS), ...op.ldf(), ...op.set(G));
  if (hess) inner.push(...op.get(HS), ...op.ldf(), ...op.set(H));
  inner.push(...op.get(LUT), ...op.get(COL), ...op.get(ROW), ...op.add, ...op.ld8(), ...op.add, ...op.ld8(), ...op.set(LEFT));
  // Left side (at li + 4·nl), right side (at ri + 4·(i − nl)): the right cursor is kept as its own pointers.
  inner.push(...op.get(LI), ...op.get(ROW), ...op.st32());
  inner.push(...op.get(LG), ...op.get(G), ...op.stf());
  if (hess) inner.push(...op.get(LH), ...op.get(H), ...op.stf());
  inner.push(...op.get(RI), ...op.get(ROW), ...op.st32());
  inner.push(...op.get(RG), ...op.get(G), ...op.stf());
  if (hess) inner.push(...op.get(RH), ...op.get(H), ...op.stf());
  // Cursors: left += left·4 / ·8, right += (1 − left)·4 / ·8.
  const adv = (ptr: number, sz: number, leftSide: boolean): number[] =>
    leftSide
      ? [...op.get(ptr), ...op.get(LEFT), ...op.i32(sz), ...op.mul, ...op.add, ...op.set(ptr)]
      : [...op.get(ptr), ...op.i32(sz), ...op.add, ...op.get(LEFT), ...op.i32(sz), ...op.mul, ...op.sub, ...op.set(ptr)];
  inner.push(...adv(LI, 4, true), ...adv(LG, 8, true), ...adv(RI, 4, false), ...adv(RG, 8, false));
  if (hess) inner.push(...adv(LH, 8, true), ...adv(RH, 8, false));
  inner.push(...op.get(NL), ...op.get(LEFT), ...op.add, ...op.set(NL));
  inner.push(...bump(SRC, 4), ...bump(GS, 8));
  if (hess) inner.push(...bump(HS, 8));
  const body = [...op.i32(0), ...op.set(NL), ...loopWhile(SRC, SEND, inner), ...op.get(NL)];
  return { name: hess ? 'splitGH' : 'splitG', params, locals, body: body, ret: true } as Fn & { ret: boolean };
}

/** Most 64 KiB pages of a 32-bit memory. */
const MAX_PAGES = 65536;

function assemble(fns: (Fn & { ret?: boolean })[]): Uint8Array {
  const types = fns.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.ret ? [[I32]] : [])]);
  // Import "env" "memory": shared, any size up to 4 GiB (one module for every arena).
  const imports = vec([[...name('env'), ...name('memory'), 0x02, 0x03, ...uleb(1), ...uleb(MAX_PAGES)]]);
  const funcs = vec(fns.map((_, i) => uleb(i)));
  const exports = vec(fns.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]));
  const codes = vec(
    fns.map((f) => {
      const locals = vec(f.locals.map((t) => [1, t]));
      const code = [...locals, ...f.body, ...op.end];
      return [...uleb(code.length), ...code];
    }),
  );
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(types)),
    ...section(2, imports),
    ...section(3, funcs),
    ...section(7, exports),
    ...section(10, codes),
  ]);
}

type HistFn = (...a: number[]) => void;

/** The slice of the WebAssembly API the kernels use (the runtime's TypeScript libs do not declare it). */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
}
interface WasmApi {
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** The kernels instantiated on one arena's memory. */
export interface Kernels {
  /** The arena's buffer: a typed array is usable by the kernels when it views this buffer. */
  readonly buffer: ArrayBufferLike;
  /** `hist[stride][leaf ? 1 : 0][k]`: the histogram kernel over k features (1..4). */
  readonly hist: Record<2 | 3, [HistFn[], HistFn[]]>;
  readonly splitG: (...a: number[]) => number;
  readonly splitGH: (...a: number[]) => number;
}

const FNS = (): (Fn & { ret?: boolean })[] => {
  const out: (Fn & { ret?: boolean })[] = [];
  for (const stride of [2, 3] as const) for (const leaf of [false, true]) for (let k = 1; k <= 4; k++) out.push(histKernel(k, stride, leaf));
  out.push(splitKernel(false), splitKernel(true));
  return out;
};

let compiled: object | null = null;

/** Instantiates the kernels on a shared `memory` (a {@link KernelArena}'s). */
/** Whether the kernels can run on these buffers: every one (null: not used) in their arena. */
export function inArena(k: Kernels, arrays: readonly (ArrayBufferView | null)[]): boolean {
  for (const a of arrays) if (a !== null && a.buffer !== k.buffer) return false;
  return true;
}

export function instantiateKernels(memory: WasmMemory): Kernels {
  if (!wasm) throw new Error('instantiateKernels: this runtime has no WebAssembly');
  const mod = (compiled ??= new wasm.Module(assemble(FNS())));
  const ex = new wasm.Instance(mod, { env: { memory } }).exports as Record<string, (...a: number[]) => number>;
  const pick = (stride: 2 | 3, leaf: boolean): HistFn[] => [0, 1, 2, 3, 4].map((k) => (k === 0 ? () => {} : (ex[`hist${stride}${leaf ? 'L' : 'R'}${k}`]! as HistFn)));
  return {
    buffer: memory.buffer,
    hist: { 2: [pick(2, false), pick(2, true)], 3: [pick(3, false), pick(3, true)] },
    splitG: ex.splitG!,
    splitGH: ex.splitGH!,
  };
}

/** Whether this runtime has shared WebAssembly memory. */
export function kernelsAvailable(): boolean {
  if (!wasm) return false;
  try {
    const m = new wasm.Memory({ initial: 1, maximum: 1, shared: true });
    compiled ??= new wasm.Module(assemble(FNS()));
    return m.buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

/**
 * One shared WebAssembly memory, carved into typed-array views by a bump
 * allocator (8-byte aligned). Sized up front: `bytes` must cover every view
 * that will be taken.
 */
export class KernelArena {
  readonly memory: WasmMemory;
  readonly pages: number;
  private top = 8;

  constructor(bytes: number) {
    if (!KernelArena.fits(bytes)) throw new RangeError(`KernelArena: ${bytes} bytes is over the 2 GiB a kernel arena may hold`);
    this.pages = Math.max(1, Math.ceil((bytes + 64) / 65536));
    if (!wasm) throw new Error('KernelArena: this runtime has no WebAssembly');
    this.memory = new wasm.Memory({ initial: this.pages, maximum: this.pages, shared: true });
  }

  private take(bytes: number): number {
    const at = this.top;
    this.top = at + Math.ceil(bytes / 8) * 8;
    if (this.top > this.pages * 65536) throw new Error(`KernelArena: ${this.top} bytes needed, ${this.pages * 65536} reserved`);
    return at;
  }

  u8(n: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, this.take(n), n);
  }

  u16(n: number): Uint16Array {
    return new Uint16Array(this.memory.buffer, this.take(2 * n), n);
  }

  u32(n: number): Uint32Array {
    return new Uint32Array(this.memory.buffer, this.take(4 * n), n);
  }

  f64(n: number): Float64Array {
    return new Float64Array(this.memory.buffer, this.take(8 * n), n);
  }

  /** Whether an arena of `bytes` can be made (32-bit addresses; kept under 2 GiB). */
  static fits(bytes: number): boolean {
    return bytes + 64 <= 2 ** 31;
  }

  /** Bytes a view of `n` elements of `size` bytes takes. */
  static size(n: number, size: number): number {
    return Math.ceil((n * size) / 8) * 8;
  }
}
