import { dot, dot2Into } from '../vectors';
import { DOT2_WASM_BASE64 } from './dot2.wasm';

interface Dot2Exports {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  dot2(a: number, b: number, vs: number, n: number, dim: number, out: number): void;
  dot1(a: number, vs: number, n: number, dim: number, out: number): void;
}

/** The part of the WebAssembly global this uses (the compiler's lib for Node does not declare it). */
interface WasmRuntime {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}

const PAGE = 64 * 1024;

/**
 * a·v and b·v (or a·v alone) for many vectors v, in one WebAssembly call (dot2.wat, SIMD): the same numbers as
 * dot2Into (and dot), to the bit, at about a third of its time. A session list takes the cosines of each of its
 * hundreds of candidates. Vectors are copied into the module's memory as they are added, unless they already
 * live there (`host`), and computed at `finish`. One batch at a time, used synchronously, as the other scratch
 * of a gathering.
 *
 * Memory: a and b (float64), the outputs (2 float64 a vector), each added vector's byte offset (i32), room to copy
 * the added vectors (float32), all sized for `slots` vectors; then, when hosting, the hosted vectors.
 */
export class Dot2Batch {
  private view = { f32: new Float32Array(0), f64: new Float64Array(0), i32: new Int32Array(0) };
  private buffer: ArrayBuffer = new ArrayBuffer(0);
  private dim = 0;
  private count = 0;
  /** Each added vector's output slot; its length is the layout's `slots`. */
  private targets = new Int32Array(256);
  /** Where the hosted vectors begin (bytes): no batch's room may reach past it. Infinity while none are hosted. */
  private hostedFrom = Infinity;
  private a: Float32Array<ArrayBufferLike> = new Float32Array(0);
  private b: Float32Array<ArrayBufferLike> | undefined;
  private outA: Float64Array<ArrayBufferLike> = new Float64Array(0);
  private outB: Float64Array<ArrayBufferLike> | undefined;

  private constructor(private readonly wasm: Dot2Exports) {
    this.refreshViews();
  }

  /** The batch, or undefined where this runtime has no WebAssembly SIMD (callers use dot2Into and dot instead). */
  static create(): Dot2Batch | undefined {
    try {
      const wasm = (globalThis as { WebAssembly?: WasmRuntime }).WebAssembly;
      if (!wasm) return undefined;
      const bytes = Buffer.from(DOT2_WASM_BASE64, 'base64');
      const instance = new wasm.Instance(new wasm.Module(bytes));
      return new Dot2Batch(instance.exports as Dot2Exports);
    } catch {
      return undefined;
    }
  }

  /**
   * Starts a batch of at most `capacity` vectors against `a` and `b`, whose results go to `outA[i]` and `outB[i]`
   * for each `add(i, v)`; without `b`, only a·v goes to `outA[i]`. False (nothing started) when the dimension is
   * not a multiple of 4, which the kernel does not handle.
   */
  begin(
    a: Float32Array,
    b: Float32Array | undefined,
    capacity: number,
    outA: Float64Array,
    outB: Float64Array | undefined,
  ): boolean {
    const dim = a.length;
    if (dim === 0 || dim % 4 !== 0) return false;
    if (b !== undefined && (b.length !== dim || outB === undefined)) return false;
    const slots = Math.max(this.targets.length, capacity);
    const bytes = roomFor(dim, slots);
    // With vectors hosted the memory never grows again (that would detach their views): a batch must fit before them.
    if (bytes > this.hostedFrom) return false;
    if (this.targets.length < slots) this.targets = new Int32Array(slots);
    const memory = this.wasm.memory;
    if (memory.buffer.byteLength < bytes) {
      memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
      this.refreshViews();
    }
    this.view.f64.set(a, 0);
    if (b) this.view.f64.set(b, dim);
    this.dim = dim;
    this.count = 0;
    this.a = a;
    this.b = b;
    this.outA = outA;
    this.outB = b ? outB : undefined;
    return true;
  }

  /**
   * Adds vector `v` for slot `i`. One of another length, or beyond the capacity begun with, is computed at once
   * by dot2Into (or dot).
   */
  add(i: number, v: Float32Array): void {
    const dim = this.dim;
    if (v.length !== dim || this.count >= this.targets.length) {
      if (this.b && this.outB) dot2Into(this.a, this.b, v, this.outA, this.outB, i);
      else this.outA[i] = dot(this.a, v);
      return;
    }
    const k = this.count++;
    let at = v.byteOffset;
    // A hosted vector is read where it lies; copying one (a call into TypedArray.prototype.set) cost as much as
    // computing both of its products.
    if (v.buffer !== this.buffer) {
      at = this.copiesAt() + 4 * k * dim;
      this.view.f32.set(v, at / 4);
    }
    this.view.i32[this.offsetsAt() / 4 + k] = at;
    this.targets[k] = i;
  }

  /**
   * Keeps `count` vectors of `dim` floats in this batch's memory, behind room for batches of up to `slots` vectors
   * of that dimension: the returned `place` copies one vector there and returns it as a view of that memory, which
   * `add` then reads where it lies rather than copying it for every batch. The memory grows once, here, and never
   * again: a later batch that needs more room (more than `slots` vectors, or a larger dimension) is not begun
   * (`begin` returns false, and callers compute without the kernel). Undefined, with nothing changed, when this
   * batch hosts vectors already or its memory cannot grow that far.
   */
  host(count: number, dim: number, slots: number): ((v: Float32Array) => Float32Array) | undefined {
    if (this.hostedFrom !== Infinity || dim === 0 || dim % 4 !== 0) return undefined;
    const room = Math.max(slots, this.targets.length);
    const from = Math.ceil(roomFor(dim, room) / 16) * 16;
    const end = from + 4 * dim * count;
    const memory = this.wasm.memory;
    try {
      if (memory.buffer.byteLength < end) memory.grow(Math.ceil((end - memory.buffer.byteLength) / PAGE));
    } catch {
      // Past what this runtime lets one module's memory hold (4 GiB at most).
      return undefined;
    }
    this.refreshViews();
    if (this.targets.length < room) this.targets = new Int32Array(room);
    this.hostedFrom = from;
    const buffer = this.buffer;
    let next = from;
    return (v) => {
      if (v.length !== dim || next + 4 * dim > end)
        throw new RangeError(`host: room for ${count} vectors of ${dim}, given one of ${v.length} past it`);
      const view = new Float32Array(buffer, next, dim);
      view.set(v);
      next += 4 * dim;
      return view;
    };
  }

  /** Computes every added vector's products and writes them to the batch's outputs. */
  finish(): void {
    const dim = this.dim;
    const n = this.count;
    if (n === 0) return;
    const out = 16 * dim;
    const f64 = this.view.f64;
    const first = out / 8;
    const outB = this.b ? this.outB : undefined;
    if (outB) {
      this.wasm.dot2(0, 8 * dim, this.offsetsAt(), n, dim, out);
      for (let k = 0; k < n; k++) {
        const i = this.targets[k];
        this.outA[i] = f64[first + 2 * k];
        outB[i] = f64[first + 2 * k + 1];
      }
    } else {
      this.wasm.dot1(0, this.offsetsAt(), n, dim, out);
      for (let k = 0; k < n; k++) this.outA[this.targets[k]] = f64[first + 2 * k];
    }
    this.count = 0;
  }

  /** Where the added vectors' offsets begin: after a, b and the outputs. */
  private offsetsAt(): number {
    return 16 * this.dim + 16 * this.targets.length;
  }

  /** Where added vectors are copied to: after their offsets. */
  private copiesAt(): number {
    return this.offsetsAt() + 4 * this.targets.length;
  }

  private refreshViews(): void {
    const buffer = this.wasm.memory.buffer;
    this.buffer = buffer;
    this.view = { f32: new Float32Array(buffer), f64: new Float64Array(buffer), i32: new Int32Array(buffer) };
  }
}

/** The bytes a batch of `slots` vectors of `dim` uses: a and b, the outputs, the offsets and the copies. */
function roomFor(dim: number, slots: number): number {
  return 16 * dim + 16 * slots + 4 * slots + 4 * dim * slots;
}
