import { createHash } from 'crypto';
import { createReadStream, promises as fs } from 'fs';
import { join } from 'path';

import { fsyncPath, writeFileDurably } from '../common/durable-file';
import { IndexCorruptError } from './vector-index.errors';
import { IndexManifest, IndexSpace } from './vector-index.port';

/**
 * The on-disk format of one saved HNSW index: hnswlib's own `index.bin` plus our `manifest.json` (parameters,
 * model version, the label -> item id map, deleted labels, checksum). Kept apart from the index behaviour
 * so the format's checks can be read, and changed, in one place.
 */
export const INDEX_FILE = 'index.bin';
export const MANIFEST_FILE = 'manifest.json';
export const INDEX_SPACES: readonly IndexSpace[] = ['ip', 'cosine', 'l2'];

/** hnswlib's header: 6 size_t, int, uint32, 3 size_t, double, size_t — little-endian on every target we run. */
const HEADER_BYTES = 96;

export interface ManifestExpectations {
  dimension?: number;
  encoderId?: string;
  modelVersion?: string;
}

/**
 * Reads and checks the manifest of the index saved in dir. Any inconsistency — missing file, bad JSON,
 * checksum, header vs manifest, or a caller expectation — is an IndexCorruptError. The checksum is verified
 * before the file reaches hnswlib, whose reader trusts the file's offsets.
 */
export async function readVerifiedManifest(
  dir: string,
  expect: ManifestExpectations,
): Promise<IndexManifest> {
  const manifestPath = join(dir, MANIFEST_FILE);
  const indexPath = join(dir, INDEX_FILE);

  let rawManifest: string;
  try {
    rawManifest = await fs.readFile(manifestPath, 'utf8');
  } catch (e) {
    throw new IndexCorruptError(
      isNotFound(e) ? 'missing' : 'manifest',
      `cannot read ${MANIFEST_FILE} in ${dir}`,
      { cause: e },
    );
  }
  const manifest = parseManifest(rawManifest, dir);

  for (const key of ['dimension', 'encoderId', 'modelVersion'] as const) {
    const wanted = expect[key];
    if (wanted !== undefined && wanted !== manifest[key]) {
      throw new IndexCorruptError(
        'mismatch',
        `index in ${dir} has ${key}=${String(manifest[key])}, expected ${String(wanted)}`,
      );
    }
  }

  let checksum: string;
  try {
    checksum = await sha256File(indexPath);
  } catch (e) {
    throw new IndexCorruptError(
      isNotFound(e) ? 'missing' : 'library',
      `cannot read ${INDEX_FILE} in ${dir}`,
      {
        cause: e,
      },
    );
  }
  if (checksum !== manifest.checksum) {
    throw new IndexCorruptError('checksum', `${INDEX_FILE} in ${dir} does not match the manifest checksum`);
  }

  const header = await readHeader(indexPath);
  const headerProblem = header && compareHeader(header, manifest);
  if (!header || headerProblem) {
    throw new IndexCorruptError(
      'header',
      `${INDEX_FILE} in ${dir} disagrees with the manifest: ${headerProblem ?? 'short file'}`,
    );
  }
  return manifest;
}

/**
 * Checks a freshly written index file and returns its checksum. std::ofstream reports no write errors (disk
 * full), so the file must be shown to hold what was written.
 */
export async function checkWrittenIndexFile(
  path: string,
  expectedCount: number,
  dir: string,
): Promise<string> {
  const header = await readHeader(path);
  if (!header || header.count !== expectedCount) {
    throw new Error(`hnswlib wrote an incomplete index file in ${dir}`);
  }
  const stat = await fs.stat(path);
  if (stat.size < HEADER_BYTES + header.count * (header.sizeDataPerElement + 4)) {
    throw new Error(`hnswlib wrote a truncated index file in ${dir}`);
  }
  return sha256File(path);
}

/**
 * index.bin then manifest.json, manifest last: a reader that sees a manifest sees the index it describes (or,
 * if dir held an older save, a checksum mismatch — never a silent mix).
 */
export async function commitIndexFiles(
  dir: string,
  tmpIndex: string,
  tmpManifest: string,
  manifest: IndexManifest,
): Promise<void> {
  await fs.rename(tmpIndex, join(dir, INDEX_FILE));
  await writeFileDurably(tmpManifest, JSON.stringify(manifest));
  await fs.rename(tmpManifest, join(dir, MANIFEST_FILE));
  await fsyncPath(dir);
}

function isNotFound(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function parseManifest(raw: string, dir: string): IndexManifest {
  const bad = (why: string): IndexCorruptError =>
    new IndexCorruptError('manifest', `${MANIFEST_FILE} in ${dir} is invalid: ${why}`);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    throw new IndexCorruptError('manifest', `${MANIFEST_FILE} in ${dir} is not valid JSON`, { cause: e });
  }
  if (typeof value !== 'object' || value === null) throw bad('not an object');
  const m = value as Record<string, unknown>;
  if (m.format !== 1) throw bad(`unsupported format ${String(m.format)}`);
  if (typeof m.space !== 'string' || !INDEX_SPACES.includes(m.space as IndexSpace)) throw bad('space');
  for (const key of ['dimension', 'm', 'efConstruction', 'efSearch'] as const) {
    const v = m[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw bad(key);
  }
  for (const key of ['encoderId', 'modelVersion', 'builtAt'] as const) {
    if (typeof m[key] !== 'string' || m[key] === '') throw bad(key);
  }
  if (typeof m.checksum !== 'string' || !/^[0-9a-f]{64}$/.test(m.checksum)) throw bad('checksum');
  if (!Array.isArray(m.labels) || !m.labels.every((l) => typeof l === 'string' && l !== ''))
    throw bad('labels');
  const labels = m.labels as string[];
  if (
    !Array.isArray(m.deletedLabels) ||
    !m.deletedLabels.every(
      (l, i, all) =>
        Number.isInteger(l) &&
        (l as number) >= 0 &&
        (l as number) < labels.length &&
        (i === 0 || l > all[i - 1]),
    )
  ) {
    throw bad('deletedLabels');
  }
  const deleted = new Set(m.deletedLabels as number[]);
  const live = new Set<string>();
  for (let label = 0; label < labels.length; label++) {
    if (deleted.has(label)) continue;
    if (live.has(labels[label])) throw bad(`id ${labels[label]} is live under two labels`);
    live.add(labels[label]);
  }
  if (m.count !== live.size) throw bad('count');
  return m as unknown as IndexManifest;
}

interface NativeHeader {
  maxElements: number;
  count: number;
  sizeDataPerElement: number;
  dataBytes: number;
  m: number;
  efConstruction: number;
}

async function readHeader(path: string): Promise<NativeHeader | undefined> {
  const handle = await fs.open(path, 'r');
  try {
    const buf = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await handle.read(buf, 0, HEADER_BYTES, 0);
    if (bytesRead < HEADER_BYTES) return undefined;
    const u64 = (offset: number): number => Number(buf.readBigUInt64LE(offset));
    return {
      maxElements: u64(8),
      count: u64(16),
      sizeDataPerElement: u64(24),
      dataBytes: u64(32) - u64(40), // label_offset_ - offsetData_ = dimension * sizeof(float)
      m: u64(72),
      efConstruction: u64(88),
    };
  } finally {
    await handle.close();
  }
}

function compareHeader(h: NativeHeader, manifest: IndexManifest): string | undefined {
  if (h.dataBytes !== manifest.dimension * 4) return `dimension ${h.dataBytes / 4} != ${manifest.dimension}`;
  if (h.count !== manifest.labels.length) return `count ${h.count} != ${manifest.labels.length} labels`;
  if (h.maxElements < h.count) return 'capacity below count';
  if (h.m !== manifest.m) return `M ${h.m} != ${manifest.m}`;
  if (h.efConstruction !== manifest.efConstruction) return `efConstruction ${h.efConstruction}`;
  return undefined;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
