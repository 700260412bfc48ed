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
 * hundreds of candidates. Vectors are copied into the module's memory as they are added and computed at
 * `finish`. One batch at a time, used synchronously, as the other scratch of a gathering.
 */
export class Dot2Batch {
  private view = { f32: new Float32Array(0), f64: new Float64Array(0) };
  private dim = 0;
  private count = 0;
  private targets = new Int32Array(256);
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
    if (this.targets.length < capacity) this.targets = new Int32Array(capacity);
    // Layout: a and b as float64, the outputs (2 float64 a vector), then the float32 vectors.
    const slots = this.targets.length;
    const bytes = 16 * dim + 16 * slots + 4 * dim * slots;
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
    this.view.f32.set(v, this.vectorsAt() / 4 + k * dim);
    this.targets[k] = i;
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
      this.wasm.dot2(0, 8 * dim, this.vectorsAt(), n, dim, out);
      for (let k = 0; k < n; k++) {
        const i = this.targets[k];
        this.outA[i] = f64[first + 2 * k];
        outB[i] = f64[first + 2 * k + 1];
      }
    } else {
      this.wasm.dot1(0, this.vectorsAt(), n, dim, out);
      for (let k = 0; k < n; k++) this.outA[this.targets[k]] = f64[first + 2 * k];
    }
    this.count = 0;
  }

  /** Where the vectors begin: after a, b and room for the outputs of as many vectors as fit behind them. */
  private vectorsAt(): number {
    return 16 * this.dim + 16 * this.targets.length;
  }

  private refreshViews(): void {
    const buffer = this.wasm.memory.buffer;
    this.view = { f32: new Float32Array(buffer), f64: new Float64Array(buffer) };
  }
}
