import { promises as fs } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { HierarchicalNSW } from 'hnswlib-node';

import { HnswVectorIndex, INDEX_FILE, MANIFEST_FILE } from './hnsw-vector-index.adapter';
import { exactTopK, randomUnitMatrix, row, seededRandom } from './testing/seeded-vectors';
import {
  IndexCorruptError,
  IndexDisposedError,
  InvalidVectorError,
  VectorDimensionError,
} from './vector-index.errors';
import { FilterStrategy, IndexEntry, IndexManifest, IndexSpace } from './vector-index.port';

const DIM = 32;
const params = { space: 'ip' as IndexSpace, dimension: DIM, encoderId: 'test-encoder', modelVersion: 'v1' };

function entriesOf(matrix: Float32Array, dim: number, prefix = 'item-'): IndexEntry[] {
  const out: IndexEntry[] = [];
  for (let i = 0; i < matrix.length / dim; i++)
    out.push({ id: `${prefix}${i}`, vector: row(matrix, dim, i) });
  return out;
}

async function tempDir(): Promise<string> {
  return fs.mkdtemp(join(tmpdir(), 'aisle-vector-index-'));
}

async function readManifest(dir: string): Promise<IndexManifest> {
  return JSON.parse(await fs.readFile(join(dir, MANIFEST_FILE), 'utf8')) as IndexManifest;
}

async function expectCorrupt(promise: Promise<unknown>, reason: IndexCorruptError['reason']): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IndexCorruptError);
  expect((error as IndexCorruptError).reason).toBe(reason);
}

describe('HnswVectorIndex', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
  });
  async function freshDir(): Promise<string> {
    const d = await tempDir();
    dirs.push(d);
    return d;
  }

  describe.each<IndexSpace>(['ip', 'cosine', 'l2'])('agreement with exact search (%s)', (space) => {
    it('finds the exact top 10 with matching scores', async () => {
      const data = randomUnitMatrix(2000, DIM, seededRandom(1));
      // Off-unit queries make 'ip', 'cosine' and 'l2' rank differently, so each space is really exercised.
      const queries = randomUnitMatrix(50, DIM, seededRandom(2)).map((x) => x * 1.7);
      const index = await HnswVectorIndex.build(entriesOf(data, DIM), { ...params, space });

      let found = 0;
      for (let q = 0; q < 50; q++) {
        const query = row(queries, DIM, q);
        const exact = exactTopK(data, DIM, query, 10, space);
        const hits = index.search(query, { k: 10 });
        expect(hits).toHaveLength(10);
        const exactScore = new Map(exact.map((e) => [`item-${e.index}`, e.score]));
        for (const hit of hits) {
          const score = exactScore.get(hit.id);
          if (score === undefined) continue;
          found++;
          expect(hit.score).toBeCloseTo(score, 4);
        }
        for (let i = 1; i < hits.length; i++) expect(hits[i - 1].score).toBeGreaterThanOrEqual(hits[i].score);
      }
      expect(found / 500).toBeGreaterThanOrEqual(0.97);
    });
  });

  describe('filtered search', () => {
    const data = randomUnitMatrix(1000, DIM, seededRandom(3));
    const query = row(randomUnitMatrix(1, DIM, seededRandom(4)), DIM, 0);
    const fivePercent = (id: string): boolean => Number(id.slice('item-'.length)) % 20 === 0;
    let index: HnswVectorIndex;
    beforeAll(async () => {
      index = await HnswVectorIndex.build(entriesOf(data, DIM), params);
    });

    it.each<FilterStrategy>(['callback', 'overfetch'])(
      'returns k passing items when enough pass (%s)',
      (filterStrategy) => {
        const hits = index.search(query, { k: 10, filter: fivePercent, filterStrategy });
        expect(hits).toHaveLength(10);
        expect(hits.every((h) => fivePercent(h.id))).toBe(true);
        const exact = exactTopK(data, DIM, query, 10, 'ip', (i) => i % 20 === 0).map(
          (e) => `item-${e.index}`,
        );
        const overlap = hits.filter((h) => exact.includes(h.id)).length;
        expect(overlap).toBeGreaterThanOrEqual(9);
      },
    );

    it.each<FilterStrategy>(['callback', 'overfetch'])(
      'returns every passing item when fewer than k pass (%s)',
      (filterStrategy) => {
        const few = new Set(['item-7', 'item-500', 'item-999']);
        const hits = index.search(query, { k: 10, filter: (id) => few.has(id), filterStrategy });
        expect(hits.map((h) => h.id).sort()).toEqual([...few].sort());
      },
    );

    it('asks the business filter only until k items passed, nearest first (overfetch)', () => {
      const asked: string[] = [];
      const hits = index.search(query, {
        k: 10,
        filterStrategy: 'overfetch',
        filter: (id) => {
          asked.push(id);
          return true;
        },
      });
      // The library returned efSearch (100) neighbours; the ten nearest all pass, so only they were judged.
      expect(asked).toEqual(hits.map((h) => h.id));
      expect(asked).toHaveLength(10);
    });

    it.each<FilterStrategy>(['callback', 'overfetch'])(
      'rethrows an error thrown by the filter (%s)',
      (filterStrategy) => {
        const boom = new Error('business rule failed');
        expect(() =>
          index.search(query, {
            k: 10,
            filterStrategy,
            filter: () => {
              throw boom;
            },
          }),
        ).toThrow(boom);
        expect(index.search(query, { k: 10 })).toHaveLength(10);
      },
    );
  });

  it('walks as wide as one search asks (ef), leaving the index its own efSearch', async () => {
    const data = randomUnitMatrix(2000, DIM, seededRandom(5));
    const queries = randomUnitMatrix(40, DIM, seededRandom(6));
    const index = await HnswVectorIndex.build(entriesOf(data, DIM), { ...params, efSearch: 50 });
    const recall = (ef?: number): number => {
      let found = 0;
      for (let q = 0; q < 40; q++) {
        const query = row(queries, DIM, q);
        const exact = new Set(exactTopK(data, DIM, query, 10, 'ip').map((e) => `item-${e.index}`));
        const hits = index.search(query, { k: 10, filter: () => true, ef });
        expect(hits).toHaveLength(10);
        found += hits.filter((h) => exact.has(h.id)).length;
      }
      return found / 400;
    };
    const before = recall();
    const narrow = recall(10);
    const wide = recall(400);
    // Random 32-d vectors are hard for a graph: a walk of 10 misses neighbours that one of 400 finds.
    expect(narrow).toBeLessThan(before);
    expect(wide).toBeGreaterThan(before);
    expect(index.info.efSearch).toBe(50);
    expect(recall()).toBe(before);
    expect(() => index.search(row(queries, DIM, 0), { k: 10, ef: 0 })).toThrow(RangeError);
    expect(() => index.search(row(queries, DIM, 0), { k: 10, ef: 2.5 })).toThrow(RangeError);
  });

  it('markDelete makes an id disappear', async () => {
    const data = randomUnitMatrix(300, DIM, seededRandom(5));
    const index = await HnswVectorIndex.build(entriesOf(data, DIM), params);
    const own = row(data, DIM, 42);
    expect(index.search(own, { k: 1 })[0].id).toBe('item-42');

    expect(index.markDelete('item-42')).toBe(true);
    expect(index.markDelete('item-42')).toBe(false);
    expect(index.markDelete('never-existed')).toBe(false);
    expect(index.has('item-42')).toBe(false);
    expect(index.vectorOf('item-42')).toBeUndefined();
    expect(index.size).toBe(299);
    const hits = index.search(own, { k: 300 });
    expect(hits.map((h) => h.id)).not.toContain('item-42');
    expect(hits).toHaveLength(299);
  });

  it('vectorOf returns the stored vector', async () => {
    const data = randomUnitMatrix(50, DIM, seededRandom(6));
    const index = await HnswVectorIndex.build(entriesOf(data, DIM), params);
    const stored = index.vectorOf('item-3');
    expect(stored).toBeInstanceOf(Float32Array);
    expect(Array.from(stored ?? [])).toEqual(Array.from(row(data, DIM, 3)));
  });

  it('rejects wrong dimensions, non-finite values and duplicate ids', async () => {
    const data = randomUnitMatrix(20, DIM, seededRandom(7));
    const index = await HnswVectorIndex.build(entriesOf(data, DIM), params);
    expect(() => index.search(new Float32Array(DIM + 1), { k: 5 })).toThrow(VectorDimensionError);
    expect(() => index.add('x', new Float32Array(DIM - 1))).toThrow(VectorDimensionError);
    const nan = new Float32Array(DIM).fill(Number.NaN);
    expect(() => index.add('x', nan)).toThrow(InvalidVectorError);
    expect(index.has('x')).toBe(false);

    const dup = entriesOf(data, DIM);
    dup.push({ id: 'item-0', vector: row(data, DIM, 1) });
    await expect(HnswVectorIndex.build(dup, params)).rejects.toThrow(InvalidVectorError);
    await expect(
      HnswVectorIndex.build([{ id: 'a', vector: new Float32Array(DIM - 1) }], params),
    ).rejects.toThrow(VectorDimensionError);
  });

  it('handles k beyond the index size and an empty index', async () => {
    const data = randomUnitMatrix(5, DIM, seededRandom(8));
    const index = await HnswVectorIndex.build(entriesOf(data, DIM), params);
    expect(index.search(row(data, DIM, 0), { k: 100 })).toHaveLength(5);
    expect(index.search(row(data, DIM, 0), { k: 0 })).toEqual([]);

    const empty = await HnswVectorIndex.build([], params);
    expect(empty.size).toBe(0);
    expect(empty.search(row(data, DIM, 0), { k: 10 })).toEqual([]);
    empty.add('late', row(data, DIM, 1));
    expect(empty.search(row(data, DIM, 1), { k: 10 }).map((h) => h.id)).toEqual(['late']);
  });

  it('save/load round-trip preserves results, deletions and parameters', async () => {
    const data = randomUnitMatrix(800, DIM, seededRandom(9));
    const queries = randomUnitMatrix(20, DIM, seededRandom(10));
    const index = await HnswVectorIndex.build(entriesOf(data, DIM), { ...params, efSearch: 64 });
    index.markDelete('item-1');
    const dir = await freshDir();
    const manifest = await index.save(dir);
    expect(manifest.count).toBe(799);
    expect(manifest.deletedLabels).toEqual([1]);
    expect(await readManifest(dir)).toEqual(manifest);
    expect((await fs.readdir(dir)).sort()).toEqual([INDEX_FILE, MANIFEST_FILE]);

    const loaded = await HnswVectorIndex.load(dir, {
      dimension: DIM,
      encoderId: 'test-encoder',
      modelVersion: 'v1',
    });
    expect(loaded.info).toEqual(index.info);
    expect(loaded.modelVersion).toBe('v1');
    expect(loaded.size).toBe(799);
    expect(loaded.has('item-1')).toBe(false);
    for (let q = 0; q < 20; q++) {
      const query = row(queries, DIM, q);
      expect(loaded.search(query, { k: 10 })).toEqual(index.search(query, { k: 10 }));
    }
  });

  describe('load rejects damaged or unexpected files', () => {
    let dir: string;
    beforeEach(async () => {
      const data = randomUnitMatrix(200, DIM, seededRandom(11));
      const index = await HnswVectorIndex.build(entriesOf(data, DIM), params);
      dir = await freshDir();
      await index.save(dir);
    });

    it('flipped bytes in index.bin', async () => {
      const path = join(dir, INDEX_FILE);
      const bytes = await fs.readFile(path);
      for (let i = 0; i < 8; i++) bytes[Math.floor(bytes.length / 2) + i] ^= 0xff;
      await fs.writeFile(path, bytes);
      await expectCorrupt(HnswVectorIndex.load(dir), 'checksum');
    });

    it('truncated index.bin', async () => {
      const path = join(dir, INDEX_FILE);
      await fs.truncate(path, (await fs.stat(path)).size - 100);
      await expectCorrupt(HnswVectorIndex.load(dir), 'checksum');
    });

    it('truncated manifest', async () => {
      const path = join(dir, MANIFEST_FILE);
      const raw = await fs.readFile(path, 'utf8');
      await fs.writeFile(path, raw.slice(0, Math.floor(raw.length / 2)));
      await expectCorrupt(HnswVectorIndex.load(dir), 'manifest');
    });

    it('missing files', async () => {
      await fs.rm(join(dir, INDEX_FILE));
      await expectCorrupt(HnswVectorIndex.load(dir), 'missing');
      await fs.rm(join(dir, MANIFEST_FILE));
      await expectCorrupt(HnswVectorIndex.load(dir), 'missing');
    });

    it('a manifest that lies about the dimension', async () => {
      const manifest = await readManifest(dir);
      await fs.writeFile(join(dir, MANIFEST_FILE), JSON.stringify({ ...manifest, dimension: DIM * 2 }));
      await expectCorrupt(HnswVectorIndex.load(dir), 'header');
    });

    it('a manifest whose count disagrees with its labels', async () => {
      const manifest = await readManifest(dir);
      await fs.writeFile(
        join(dir, MANIFEST_FILE),
        JSON.stringify({ ...manifest, count: manifest.count + 1 }),
      );
      await expectCorrupt(HnswVectorIndex.load(dir), 'manifest');
    });

    it('an index built for another dimension, encoder or model version', async () => {
      await expectCorrupt(HnswVectorIndex.load(dir, { dimension: DIM * 2 }), 'mismatch');
      await expectCorrupt(HnswVectorIndex.load(dir, { encoderId: 'other' }), 'mismatch');
      await expectCorrupt(HnswVectorIndex.load(dir, { modelVersion: 'v2' }), 'mismatch');
    });
  });

  it('incremental add never reuses a label', async () => {
    const data = randomUnitMatrix(101, DIM, seededRandom(12));
    const entries = entriesOf(data, DIM).slice(0, 100);
    const index = await HnswVectorIndex.build(entries, params);
    index.markDelete('item-5');
    index.add('item-100', row(data, DIM, 100)); // past the initial capacity: the index must grow
    index.add('item-7', row(data, DIM, 5)); // re-add a live id with a new vector

    expect(index.size).toBe(100);
    expect(index.deadLabels).toBe(2);
    expect(index.search(row(data, DIM, 100), { k: 1 })[0].id).toBe('item-100');
    expect(index.search(row(data, DIM, 5), { k: 1 })[0].id).toBe('item-7');
    expect(index.search(row(data, DIM, 7), { k: 100 }).filter((h) => h.id === 'item-7')).toHaveLength(1);

    const dir = await freshDir();
    const manifest = await index.save(dir);
    expect(manifest.labels).toHaveLength(102);
    expect(manifest.labels.slice(100)).toEqual(['item-100', 'item-7']);
    expect(manifest.labels[5]).toBe('item-5');
    expect(manifest.deletedLabels).toEqual([5, 7]);

    const loaded = await HnswVectorIndex.load(dir);
    loaded.add('item-5', row(data, DIM, 5)); // a deleted id comes back under a fresh label
    const again = await loaded.save(await freshDir());
    expect(again.labels).toHaveLength(103);
    expect(again.labels[102]).toBe('item-5');
    expect(again.deletedLabels).toEqual([5, 7]);
  });

  it('queues mutations made during a background save and applies them after', async () => {
    const data = randomUnitMatrix(501, DIM, seededRandom(13));
    const index = await HnswVectorIndex.build(entriesOf(data, DIM).slice(0, 500), params);
    // The addon's prototype methods are read-only, so wrap writeIndex on this index's native object.
    const native = (index as unknown as { hnsw: HierarchicalNSW }).hnsw;
    const write = native.writeIndex.bind(native);
    let duringWrite: (() => void) | undefined;
    let hookRuns = 0;
    Object.defineProperty(native, 'writeIndex', {
      configurable: true,
      value: (file: string): Promise<boolean> => {
        const written = write(file);
        duringWrite?.(); // runs while the native writer thread is busy
        return written;
      },
    });
    try {
      const dir = await freshDir();
      duringWrite = () => {
        expect(index.markDelete('item-9')).toBe(true);
        index.add('item-500', row(data, DIM, 500));
        expect(native.getCurrentCount()).toBe(500); // queued, not applied under the writer
        hookRuns++;
        // Visible at once, although the native index is untouched until the write finishes.
        expect(index.search(row(data, DIM, 9), { k: 500 }).map((h) => h.id)).not.toContain('item-9');
        // A filtered search too: the library still holds item-9 (its nearest neighbour to itself).
        expect(index.search(row(data, DIM, 9), { k: 10, filter: () => true }).map((h) => h.id)).not.toContain(
          'item-9',
        );
        expect(index.search(row(data, DIM, 500), { k: 1 })[0]).toEqual({
          id: 'item-500',
          score: expect.closeTo(1, 5) as number,
        });
        expect(
          index.search(row(data, DIM, 500), { k: 3, filter: (id) => id !== 'item-500' }).map((h) => h.id),
        ).not.toContain('item-500');
        expect(Array.from(index.vectorOf('item-500') ?? [])).toEqual(Array.from(row(data, DIM, 500)));
      };
      const manifest = await index.save(dir);
      duringWrite = undefined;
      expect(hookRuns).toBe(1);

      // The file is the snapshot taken when the write began...
      expect(manifest.labels).toHaveLength(500);
      expect(manifest.deletedLabels).toEqual([]);
      const loaded = await HnswVectorIndex.load(dir);
      expect(loaded.has('item-9')).toBe(true);
      expect(loaded.has('item-500')).toBe(false);
      // ...and the live index has applied the queued changes natively.
      expect(index.size).toBe(500);
      expect(index.search(row(data, DIM, 500), { k: 1 })[0].id).toBe('item-500');
      const next = await index.save(await freshDir());
      expect(next.labels).toHaveLength(501);
      expect(next.deletedLabels).toEqual([9]);
    } finally {
      delete (native as { writeIndex?: unknown }).writeIndex;
    }
  });

  it('is unusable after dispose', async () => {
    const data = randomUnitMatrix(10, DIM, seededRandom(14));
    const index = await HnswVectorIndex.build(entriesOf(data, DIM), params);
    index.dispose();
    expect(() => index.search(row(data, DIM, 0), { k: 1 })).toThrow(IndexDisposedError);
    await expect(index.save(await freshDir())).rejects.toThrow(IndexDisposedError);
  });
});
