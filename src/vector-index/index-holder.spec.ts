import { promises as fs } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { setImmediate as nextTurn, setTimeout as sleep } from 'timers/promises';

import { HnswVectorIndex } from './hnsw-vector-index.adapter';
import { CURRENT_FILE, INDEX_ROOT, IndexHolder, readCurrentPointer } from './index-holder';
import { randomUnitMatrix, row, seededRandom } from './testing/seeded-vectors';
import { IndexCorruptError, IndexDisposedError } from './vector-index.errors';
import { IndexEntry, VectorIndex } from './vector-index.port';

const DIM = 16;
const data = randomUnitMatrix(300, DIM, seededRandom(21));
const queries = randomUnitMatrix(10, DIM, seededRandom(22));

function build(prefix: string, modelVersion: string): Promise<HnswVectorIndex> {
  const entries: IndexEntry[] = [];
  for (let i = 0; i < 300; i++) entries.push({ id: `${prefix}${i}`, vector: row(data, DIM, i) });
  return HnswVectorIndex.build(entries, { space: 'ip', dimension: DIM, encoderId: 'enc', modelVersion });
}

/** Every hit of every query carries the prefix of exactly one index. */
function prefixesOf(index: VectorIndex): Set<string> {
  const seen = new Set<string>();
  for (let q = 0; q < 10; q++) {
    for (const hit of index.search(row(queries, DIM, q), { k: 5 })) seen.add(hit.id.split('-')[0]);
  }
  return seen;
}

/** A clock that moves one second per call, so every publish gets its own directory name. */
function steppingClock(): () => Date {
  let t = Date.UTC(2025, 0, 1);
  return () => new Date((t += 1000));
}

describe('IndexHolder', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await fs.mkdtemp(join(tmpdir(), 'aisle-index-holder-'));
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  const indexDirs = async (): Promise<string[]> =>
    (await fs.readdir(join(dataDir, INDEX_ROOT), { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();

  it('publishes into <modelVersion>-<timestamp> and loads it back through CURRENT', async () => {
    const holder = new IndexHolder({ now: () => new Date('2025-03-04T05:06:07.089Z'), retireAfterMs: false });
    const index = await build('a-', 'v1');
    const published = await holder.publish(dataDir, index);

    expect(published.name).toBe('v1-20250304T050607089Z');
    expect(await readCurrentPointer(dataDir)).toBe(published.name);
    expect(holder.current()).toBe(index);

    const replica = new IndexHolder({ retireAfterMs: false });
    const loaded = await replica.loadCurrent(dataDir, { dimension: DIM, modelVersion: 'v1' });
    expect(loaded).toBeDefined();
    expect(replica.currentName()).toBe(published.name);
    for (let q = 0; q < 10; q++) {
      expect(loaded?.search(row(queries, DIM, q), { k: 10 })).toEqual(
        index.search(row(queries, DIM, q), { k: 10 }),
      );
    }
    // Unchanged CURRENT: no reload, same instance.
    expect(await replica.loadCurrent(dataDir)).toBe(loaded);
  });

  it('returns undefined when nothing was published, and rejects a malformed pointer', async () => {
    const holder = new IndexHolder({ retireAfterMs: false });
    expect(await holder.loadCurrent(dataDir)).toBeUndefined();
    expect(holder.current()).toBeUndefined();
    expect(holder.markDelete('x')).toBe(false);

    await fs.mkdir(join(dataDir, INDEX_ROOT), { recursive: true });
    await fs.writeFile(join(dataDir, INDEX_ROOT, CURRENT_FILE), '../../elsewhere\n');
    await expect(holder.loadCurrent(dataDir)).rejects.toMatchObject({
      name: 'IndexCorruptError',
      reason: 'pointer',
    });
  });

  it('keeps serving the old index when publishing fails between writing the index and updating CURRENT', async () => {
    const holder = new IndexHolder({ now: steppingClock(), retireAfterMs: false });
    const old = await build('old-', 'v1');
    const { name: oldName } = await holder.publish(dataDir, old);

    const rename = fs.rename.bind(fs);
    jest.spyOn(fs, 'rename').mockImplementation(async (from, to) => {
      if (String(to).endsWith(CURRENT_FILE)) throw new Error('simulated crash before CURRENT moved');
      return rename(from, to);
    });
    await expect(holder.publish(dataDir, await build('new-', 'v2'))).rejects.toThrow('simulated crash');
    jest.restoreAllMocks();

    expect(holder.current()).toBe(old);
    expect(await readCurrentPointer(dataDir)).toBe(oldName);
    const restarted = new IndexHolder({ retireAfterMs: false });
    const loaded = await restarted.loadCurrent(dataDir);
    expect(loaded && prefixesOf(loaded)).toEqual(new Set(['old']));
  });

  it('ignores the leftovers of a publish killed before CURRENT moved, and the next publish prunes them', async () => {
    const clock = steppingClock();
    const holder = new IndexHolder({ now: clock, retireAfterMs: false });
    const { name: oldName } = await holder.publish(dataDir, await build('old-', 'v1'));

    // What kill -9 leaves behind: a complete new directory, a half-written one, a stray pointer temp file.
    const root = join(dataDir, INDEX_ROOT);
    await (await build('orphan-', 'v2')).save(join(root, 'v2-20990101T000000000Z'));
    await fs.mkdir(join(root, 'v2-20990101T000000001Z'));
    await fs.writeFile(join(root, 'v2-20990101T000000001Z', 'index.bin.tmp-123-abcd'), 'partial');
    await fs.writeFile(join(root, `${CURRENT_FILE}.tmp-123-abcd`), 'v2-20990101T000000000Z\n');

    const restarted = new IndexHolder({ now: clock, retireAfterMs: false });
    const loaded = await restarted.loadCurrent(dataDir);
    expect(restarted.currentName()).toBe(oldName);
    expect(loaded && prefixesOf(loaded)).toEqual(new Set(['old']));

    const { name: newName } = await restarted.publish(dataDir, await build('new-', 'v3'));
    expect(await indexDirs()).toEqual([oldName, newName].sort());
    expect(await fs.readdir(root)).not.toContain(`${CURRENT_FILE}.tmp-123-abcd`);
  });

  it('keeps only the current and the previous directory', async () => {
    const holder = new IndexHolder({ now: steppingClock(), retireAfterMs: false });
    const names: string[] = [];
    for (const version of ['v1', 'v2', 'v3'])
      names.push((await holder.publish(dataDir, await build('x-', version))).name);
    expect(await indexDirs()).toEqual([names[1], names[2]].sort());
  });

  it('reports a corrupt current index so the caller can rebuild', async () => {
    const holder = new IndexHolder({ retireAfterMs: false });
    const { dir } = await holder.publish(dataDir, await build('a-', 'v1'));
    const bytes = await fs.readFile(join(dir, 'index.bin'));
    bytes[bytes.length - 1] ^= 0x01;
    await fs.writeFile(join(dir, 'index.bin'), bytes);

    const error: unknown = await new IndexHolder().loadCurrent(dataDir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IndexCorruptError);
  });

  it('markDelete applies to the current index', async () => {
    const holder = new IndexHolder({ retireAfterMs: false });
    holder.swap(await build('a-', 'v1'));
    expect(holder.markDelete('a-3')).toBe(true);
    expect(holder.current()?.has('a-3')).toBe(false);
  });

  it('replays deletes made while a publish or a load is in flight onto the incoming index', async () => {
    const holder = new IndexHolder({ now: steppingClock(), retireAfterMs: false });
    holder.swap(await build('x-', 'v1'));
    const publishing = holder.publish(dataDir, await build('x-', 'v2'));
    expect(holder.markDelete('x-1')).toBe(true); // reaches the served index now...
    await publishing;
    expect(holder.current()?.info.modelVersion).toBe('v2');
    expect(holder.current()?.has('x-1')).toBe(false); // ...and the new one before it is swapped in

    const replica = new IndexHolder({ retireAfterMs: false });
    replica.swap(await build('x-', 'v1'));
    const loading = replica.loadCurrent(dataDir);
    replica.markDelete('x-2');
    const loaded = await loading;
    expect(loaded?.has('x-1')).toBe(true); // the file predates that delete; the catalog replays it on restart
    expect(loaded?.has('x-2')).toBe(false);

    // Once nothing is in flight the journal is empty again.
    replica.markDelete('x-3');
    expect((replica as unknown as { journal: unknown[] }).journal).toHaveLength(0);
  });

  it('swaps under concurrent reads: nothing throws, every result comes from a single index', async () => {
    // As in production, a swapped-out index is disposed after a grace period; a reader holds its reference
    // for far less than that (one turn of the event loop), so none may ever search a disposed index.
    const holder = new IndexHolder({ retireAfterMs: 25 });
    const generations: HnswVectorIndex[] = [];
    for (let i = 0; i < 40; i++) generations.push(await build(i % 2 === 0 ? 'a-' : 'b-', `v${i}`));
    holder.swap(generations[0]);

    let stop = false;
    let searches = 0;
    const seenIndexes = new Set<string>();
    const reader = async (offset: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const index = holder.current();
        if (!index) throw new Error('holder lost its index');
        const query = row(queries, DIM, (offset + i) % 10);
        const first = index.search(query, { k: 10 });
        await nextTurn(); // a request that awaits between two uses of the same reference
        const second = index.search(query, { k: 10, filter: (id) => !id.endsWith('7') });
        for (const hits of [first, second]) {
          expect(hits.length).toBeGreaterThan(0);
          const prefixes = new Set(hits.map((h) => h.id.split('-')[0]));
          expect(prefixes.size).toBe(1);
          seenIndexes.add([...prefixes][0]);
        }
        searches++;
      }
    };
    let disposedWhileReading = false;
    const swapper = async (): Promise<void> => {
      for (let i = 1; i < generations.length; i++) {
        holder.swap(generations[i]);
        await sleep(3);
      }
      // The early generations were retired while the readers kept going: disposal really happened under them.
      try {
        generations[0].search(row(queries, DIM, 0), { k: 1 });
      } catch (e) {
        disposedWhileReading = e instanceof IndexDisposedError;
      }
      stop = true;
    };
    await Promise.all([reader(0), reader(3), reader(7), swapper()]);
    expect(disposedWhileReading).toBe(true);
    expect(searches).toBeGreaterThan(100);
    expect(seenIndexes).toEqual(new Set(['a', 'b']));
    await sleep(40);
  });

  it('disposes a swapped-out index after the grace period', async () => {
    const holder = new IndexHolder({ retireAfterMs: 1 });
    const old = await build('a-', 'v1');
    holder.swap(old);
    holder.swap(await build('b-', 'v2'));
    expect(old.search(row(queries, DIM, 0), { k: 1 })).toHaveLength(1); // still usable within the grace period
    await sleep(20);
    expect(() => old.search(row(queries, DIM, 0), { k: 1 })).toThrow(IndexDisposedError);
    expect(holder.current()?.search(row(queries, DIM, 0), { k: 1 })).toHaveLength(1);
  });
});
