import * as path from 'node:path';
import { mulberry32 as random } from '../random';
import { dot, dot2Into } from '../vectors';
import { Dot2Batch } from './dot2-kernel';
import { DOT2_WASM_BASE64 } from './dot2.wasm';

function vector(dim: number, next: () => number): Float32Array {
  return Float32Array.from({ length: dim }, () => next() * 2 - 1);
}

/** dot2Into's numbers for these vectors, slot by slot. */
function expected(a: Float32Array, b: Float32Array, vs: Float32Array[], slots: number[], size: number) {
  const outA = new Float64Array(size);
  const outB = new Float64Array(size);
  vs.forEach((v, k) => dot2Into(a, b, v, outA, outB, slots[k]));
  return { outA, outB };
}

describe('Dot2Batch', () => {
  const batch = Dot2Batch.create();

  it('compiles on this runtime (Node 20 has WebAssembly SIMD)', () => {
    expect(batch).toBeDefined();
  });

  it.each([4, 12, 128, 512])('gives dot2Into’s numbers to the bit (dim %i)', (dim) => {
    const next = random(dim);
    const a = vector(dim, next);
    const b = vector(dim, next);
    const size = 300;
    // Slots out of order and with gaps, as candidates without a vector leave them.
    const slots = Array.from({ length: size }, (_, i) => i)
      .filter((i) => i % 7 !== 3)
      .reverse();
    const vs = slots.map(() => vector(dim, next));
    const outA = new Float64Array(size);
    const outB = new Float64Array(size);
    expect(batch!.begin(a, b, size, outA, outB)).toBe(true);
    vs.forEach((v, k) => batch!.add(slots[k], v));
    batch!.finish();
    const want = expected(a, b, vs, slots, size);
    expect(Array.from(outA)).toEqual(Array.from(want.outA));
    expect(Array.from(outB)).toEqual(Array.from(want.outB));
    // Slots never added keep what they held.
    expect(outA[3]).toBe(0);
    expect(outB[3]).toBe(0);
  });

  it('grows its memory for a larger batch and computes a vector of another length or beyond capacity at once', () => {
    const next = random(7);
    const small = vector(128, next);
    const outA = new Float64Array(4);
    const outB = new Float64Array(4);
    expect(batch!.begin(small, small, 4, outA, outB)).toBe(true);
    batch!.finish();

    // 2,000 vectors of 512 floats do not fit the first 64 KiB page.
    const dim = 512;
    const a = vector(dim, next);
    const b = vector(dim, next);
    const size = 2000;
    const vs = Array.from({ length: size }, () => vector(dim, next));
    const slots = vs.map((_, i) => i);
    const bigA = new Float64Array(size + 2);
    const bigB = new Float64Array(size + 2);
    expect(batch!.begin(a, b, size, bigA, bigB)).toBe(true);
    vs.forEach((v, i) => batch!.add(i, v));
    // Beyond the capacity begun with, and a vector of another length: both computed by dot2Into.
    const extra = vector(dim, next);
    batch!.add(size, extra);
    const odd = vector(dim - 4, next);
    batch!.add(size + 1, odd);
    batch!.finish();
    const want = expected(a, b, [...vs, extra, odd], [...slots, size, size + 1], size + 2);
    expect(Array.from(bigA)).toEqual(Array.from(want.outA));
    expect(Array.from(bigB)).toEqual(Array.from(want.outB));
  });

  it('gives dot’s number to the bit without a second vector', () => {
    const next = random(11);
    const dim = 128;
    const a = vector(dim, next);
    const vs = Array.from({ length: 50 }, () => vector(dim, next));
    const out = new Float64Array(51);
    expect(batch!.begin(a, undefined, 50, out, undefined)).toBe(true);
    vs.forEach((v, i) => batch!.add(i, v));
    // Another length: computed at once by dot.
    const odd = vector(dim - 4, next);
    batch!.add(50, odd);
    batch!.finish();
    expect(Array.from(out)).toEqual([...vs, odd].map((v) => dot(a, v)));
  });

  it('reads hosted vectors where they lie, beside copied ones, with dot2Into’s numbers', () => {
    const own = Dot2Batch.create()!;
    const next = random(13);
    const dim = 128;
    const place = own.host(40, dim, 64)!;
    expect(place).toBeDefined();
    const given = Array.from({ length: 40 }, () => vector(dim, next));
    const hosted = given.map((v) => place(v));
    expect(hosted.map((v) => Array.from(v))).toEqual(given.map((v) => Array.from(v)));
    expect(new Set(hosted.map((v) => v.buffer)).size).toBe(1);
    const a = vector(dim, next);
    const b = vector(dim, next);
    const others = Array.from({ length: 20 }, () => vector(dim, next));
    const size = 60;
    const outA = new Float64Array(size);
    const outB = new Float64Array(size);
    expect(own.begin(a, b, size, outA, outB)).toBe(true);
    // Hosted and copied vectors in turn, each at its own slot.
    const vs = [...hosted.slice(0, 20).flatMap((h, k) => [h, others[k]]), ...hosted.slice(20)];
    vs.forEach((v, i) => own.add(i, v));
    // A hosted vector changed after it was added is read as it is when computed: it was not copied.
    const copiedWas = others[0][0];
    hosted[0][0] += 1;
    others[0][0] += 1;
    own.finish();
    const want = expected(
      a,
      b,
      vs,
      vs.map((_, i) => i),
      size,
    );
    expect(outA[0]).toBe(want.outA[0]);
    // The copied one was computed as it was when added.
    others[0][0] = copiedWas;
    const was = expected(a, b, [others[0]], [1], size);
    expect(outA[1]).toBe(was.outA[1]);
    expect(outB[1]).toBe(was.outB[1]);
    expect(Array.from(outA.slice(2))).toEqual(Array.from(want.outA.slice(2)));
    expect(Array.from(outB.slice(2))).toEqual(Array.from(want.outB.slice(2)));
    expect(Array.from(outB.slice(0, 1))).toEqual(Array.from(want.outB.slice(0, 1)));
  });

  it('never grows its memory once it hosts: a batch that needs more room is not begun, and the hosted stay', () => {
    const own = Dot2Batch.create()!;
    const next = random(17);
    const dim = 16;
    const place = own.host(3, dim, 300)!;
    const hosted = [vector(dim, next), vector(dim, next), vector(dim, next)].map((v) => place(v));
    expect(() => place(vector(dim, next))).toThrow(RangeError);
    expect(own.host(1, dim, 1)).toBeUndefined();
    const a = vector(dim, next);
    // More vectors than the room kept, and a larger dimension: both refused, leaving callers to compute in JS.
    expect(own.begin(a, a, 301, new Float64Array(301), new Float64Array(301))).toBe(false);
    const wide = vector(4 * dim, next);
    expect(own.begin(wide, wide, 300, new Float64Array(300), new Float64Array(300))).toBe(false);
    expect(hosted.every((v) => v.length === dim)).toBe(true);
    const out = new Float64Array(3);
    expect(own.begin(a, undefined, 3, out, undefined)).toBe(true);
    hosted.forEach((v, i) => own.add(i, v));
    own.finish();
    expect(Array.from(out)).toEqual(hosted.map((v) => dot(a, v)));
  });

  it('hosts nothing where its memory cannot grow that far', () => {
    const own = Dot2Batch.create()!;
    // 2^28 vectors of 16 floats: 16 GiB, past a WebAssembly memory's 4 GiB.
    expect(own.host(2 ** 28, 16, 16)).toBeUndefined();
    const a = Float32Array.of(1, 2, 3, 4);
    const out = new Float64Array(1);
    expect(own.begin(a, undefined, 1, out, undefined)).toBe(true);
    own.add(0, Float32Array.of(1, 1, 1, 1));
    own.finish();
    expect(out[0]).toBe(10);
  });

  it('starts nothing for a dimension that is not a multiple of 4', () => {
    const v = Float32Array.of(1, 2, 3);
    expect(batch!.begin(v, v, 1, new Float64Array(1), new Float64Array(1))).toBe(false);
  });

  it('holds the bytes dot2.wat compiles to (scripts/build-wasm.js)', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { compileWat } = require('../../../scripts/build-wasm.js') as {
      compileWat(file: string): Promise<string>;
    };
    expect(await compileWat(path.join(__dirname, 'dot2.wat'))).toBe(DOT2_WASM_BASE64);
  });
});
