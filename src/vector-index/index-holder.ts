import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import { join } from 'path';

import { fsyncPath, replaceFileDurably } from '../common/durable-file';
import { HnswVectorIndex, LoadExpectations } from './hnsw-vector-index.adapter';
import { IndexCorruptError } from './vector-index.errors';
import { IndexManifest, VectorIndex } from './vector-index.port';

/**
 * On-disk layout under a data directory:
 *
 *   <dataDir>/index/<modelVersion>-<timestamp>/{index.bin,manifest.json}   one immutable directory per publish
 *   <dataDir>/index/CURRENT                                                 name of the live directory
 *
 * A directory is complete before CURRENT names it (CURRENT is replaced via temp + rename), so a crash at any
 * point leaves CURRENT naming a complete index; orphans of interrupted publishes are pruned by the next one.
 * Publishing assumes one publisher per data directory at a time (the reindex job's advisory lock).
 */
export const INDEX_ROOT = 'index';
export const CURRENT_FILE = 'CURRENT';

const DIR_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const POINTER_TEMP_PREFIX = `${CURRENT_FILE}.tmp-`;

export interface IndexHolderOptions {
  /** Clock for directory names. */
  now?: () => Date;
  /** Loader for loadCurrent(); defaults to HnswVectorIndex.load. */
  load?: (dir: string, expect?: LoadExpectations) => Promise<VectorIndex>;
  /**
   * Grace period after a swap before the old index is disposed (its native memory freed), or false to leave
   * it to the garbage collector. hnswlib-node's memory is invisible to V8, so "becomes garbage" alone can keep
   * a few hundred MB per retired index alive for a long time. Readers must not hold an index across awaits
   * for longer than this; a request finishes in milliseconds.
   */
  retireAfterMs?: number | false;
}

export interface PublishResult {
  /** Directory name under <dataDir>/index, as written to CURRENT. */
  name: string;
  dir: string;
  manifest: IndexManifest;
}

/**
 * Holds the index that serves requests. Readers take `current()` and use it synchronously; a swap replaces the
 * reference in one assignment, so every search sees exactly one index and never a half-built one. New indexes
 * are built off to the side and handed over complete.
 */
export class IndexHolder {
  private index: VectorIndex | undefined;
  /** Directory the held index was loaded from or published to; lets loadCurrent() skip a no-op reload. */
  private loadedName: string | undefined;
  private serial: Promise<unknown> = Promise.resolve();
  /**
   * Ids deleted while a load or publish is outstanding. The incoming index was read from disk or built from a
   * snapshot before those deletes, so they are replayed on it just before it is swapped in — otherwise a
   * deleted item would come back with the swap.
   */
  private journal: { seq: number; id: string }[] = [];
  private nextSeq = 0;
  private readonly openSince = new Map<symbol, number>();
  private readonly now: () => Date;
  private readonly load: (dir: string, expect?: LoadExpectations) => Promise<VectorIndex>;
  private readonly retireAfterMs: number | false;

  constructor(options: IndexHolderOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.load = options.load ?? ((dir, expect) => HnswVectorIndex.load(dir, expect));
    this.retireAfterMs = options.retireAfterMs ?? 60_000;
  }

  current(): VectorIndex | undefined {
    return this.index;
  }

  /** Name of the directory the held index came from, if it came from disk. */
  currentName(): string | undefined {
    return this.loadedName;
  }

  swap(next: VectorIndex): void {
    this.replace(next, undefined);
  }

  markDelete(id: string): boolean {
    if (this.openSince.size > 0) this.journal.push({ seq: this.nextSeq++, id });
    return this.index?.markDelete(id) ?? false;
  }

  /**
   * Loads the index CURRENT names and swaps it in; returns undefined (holder unchanged) when nothing was ever
   * published. Throws IndexCorruptError when CURRENT or its directory is unusable — the caller rebuilds.
   */
  loadCurrent(dataDir: string, expect?: LoadExpectations): Promise<VectorIndex | undefined> {
    return this.serialise(async (replayDeletes) => {
      const name = await readCurrentPointer(dataDir);
      if (name === undefined) return undefined;
      if (name === this.loadedName && this.index) return this.index;
      const index = await this.load(join(dataDir, INDEX_ROOT, name), expect);
      replayDeletes(index);
      this.replace(index, name);
      return index;
    });
  }

  /**
   * Saves `index` into a fresh directory, points CURRENT at it, swaps it in (unless `swap: false`), then deletes
   * every other index directory except the one CURRENT named before — a replica may still be loading that one.
   */
  publish(dataDir: string, index: VectorIndex, opts: { swap?: boolean } = {}): Promise<PublishResult> {
    return this.serialise(async (replayDeletes) => {
      const root = join(dataDir, INDEX_ROOT);
      await fs.mkdir(root, { recursive: true });
      const previous = await readCurrentPointer(dataDir).catch(() => undefined);
      const name = await makeUniqueDir(root, `${safeName(index.info.modelVersion)}-${stamp(this.now())}`);
      const dir = join(root, name);
      let manifest: IndexManifest;
      try {
        manifest = await index.save(dir);
        await writeCurrentPointer(root, name);
      } catch (e) {
        // Nothing references the new directory yet; CURRENT still names the previous, complete index.
        await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
        throw e;
      }
      replayDeletes(index);
      if (opts.swap ?? true) this.replace(index, name);
      await prune(root, new Set([name, previous].filter((n): n is string => n !== undefined)));
      return { name, dir, manifest };
    });
  }

  private replace(next: VectorIndex, name: string | undefined): void {
    const previous = this.index;
    this.index = next;
    this.loadedName = name;
    if (previous && previous !== next && this.retireAfterMs !== false) {
      setTimeout(() => previous.dispose(), this.retireAfterMs).unref();
    }
  }

  /**
   * loadCurrent/publish in call order, so a slow load can never swap an older index over a newer one. Deletes
   * are journalled from the call (not from when the task starts), since a queued task's index is just as stale.
   */
  private serialise<T>(task: (replayDeletes: (index: VectorIndex) => void) => Promise<T>): Promise<T> {
    const token = Symbol('index-holder-task');
    const since = this.nextSeq;
    this.openSince.set(token, since);
    const replayDeletes = (index: VectorIndex): void => {
      for (const entry of this.journal) if (entry.seq >= since) index.markDelete(entry.id);
    };
    // Close the journal before `run` settles, so a caller that awaits it sees the final state.
    const run = this.serial
      .then(() => task(replayDeletes))
      .finally(() => {
        this.openSince.delete(token);
        const oldest = Math.min(...this.openSince.values());
        this.journal = this.journal.filter((e) => e.seq >= oldest);
      });
    this.serial = run.catch(() => undefined);
    return run;
  }
}

/** The directory name CURRENT holds, or undefined when it does not exist. */
export async function readCurrentPointer(dataDir: string): Promise<string | undefined> {
  let raw: string;
  try {
    raw = await fs.readFile(join(dataDir, INDEX_ROOT, CURRENT_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new IndexCorruptError('pointer', `cannot read ${CURRENT_FILE} in ${dataDir}`, { cause: e });
  }
  const name = raw.trim();
  // Never follow a pointer out of the index root.
  if (!DIR_NAME.test(name))
    throw new IndexCorruptError('pointer', `${CURRENT_FILE} in ${dataDir} is malformed`);
  return name;
}

async function writeCurrentPointer(root: string, name: string): Promise<void> {
  const tmp = join(root, `${POINTER_TEMP_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`);
  await replaceFileDurably(tmp, join(root, CURRENT_FILE), `${name}\n`);
  // The rename is the commit point: a failure to fsync the directory after it only costs durability and must
  // not make publish() delete the directory CURRENT now names.
  await fsyncPath(root).catch(() => undefined);
}

async function makeUniqueDir(root: string, base: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const name = attempt === 1 ? base : `${base}-${attempt}`;
    try {
      await fs.mkdir(join(root, name));
      return name;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 100) throw e;
    }
  }
}

/** Best effort: a failed delete only costs disk space and is retried by the next publish. */
async function prune(root: string, keep: ReadonlySet<string>): Promise<void> {
  const entries = await fs.readdir(root, { withFileTypes: true }).catch(() => []);
  await Promise.all(
    entries
      .filter(
        (e) =>
          (e.isDirectory() && !keep.has(e.name)) || (e.isFile() && e.name.startsWith(POINTER_TEMP_PREFIX)),
      )
      .map((e) => fs.rm(join(root, e.name), { recursive: true, force: true }).catch(() => undefined)),
  );
}

function safeName(modelVersion: string): string {
  return modelVersion.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[.-]+/, '') || 'model';
}

/** 2025-01-02T03:04:05.678Z -> 20250102T030405678Z: sortable and filename-safe. */
function stamp(date: Date): string {
  return date.toISOString().replace(/[-:.]/g, '');
}
