import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { FeatureExtractionPipeline } from '@xenova/transformers';
import type { Encoder } from './encoder.port';
import { readModelManifest, verifyModelFolder } from './model/prepare-default-model';
import { sha256Hex } from './model/use-lite-source';

/**
 * Encoder adapter over a Transformers.js feature-extraction pipeline: its tokenizer and model, mean pooling
 * over the attention mask, L2 normalisation.
 *
 * Runs the model on the calling thread: production code uses it through `EncoderPool`, which hosts it in
 * worker processes so the HTTP event loop never runs inference. (It also cannot be loaded inside Jest's module
 * sandbox, because @xenova/transformers is an ES module; tests go through the pool as well.)
 */

export const DEFAULT_BATCH_SIZE = 64;

export interface TransformersEncoderOptions {
  /**
   * A model folder (Transformers.js layout: config.json, tokenizer.json, onnx/model.onnx) or a Hugging Face
   * hub id such as `Xenova/all-MiniLM-L6-v2`. A value that is an absolute path, starts with "." or names an
   * existing folder is a folder.
   */
  model: string;
  /** Hub downloads are cached under `<dataDir>/models/hub-cache`; unused for a local folder. */
  dataDir: string;
  /** Texts per inference call. Larger batches amortise per-call overhead; padding grows with them. */
  batchSize?: number;
  /** onnxruntime intra-op threads for this process's sessions (default: onnxruntime's, one per core). */
  intraOpThreads?: number;
  /** Load `onnx/model_quantized.onnx` instead of `onnx/model.onnx`. */
  quantized?: boolean;
}

type TransformersModule = typeof import('@xenova/transformers');

export class TransformersEncoder implements Encoder {
  private closed = false;

  private constructor(
    readonly id: string,
    readonly dimension: number,
    private readonly extractor: FeatureExtractionPipeline,
    private readonly batchSize: number,
  ) {}

  static async load(options: TransformersEncoderOptions): Promise<TransformersEncoder> {
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new Error('batchSize must be a positive integer');
    if (options.intraOpThreads !== undefined) limitOnnxRuntimeThreads(options.intraOpThreads);

    // Compiled to require(): Node >= 20.19 loads this ES module synchronously (see package.json engines).
    const transformers: TransformersModule = await import('@xenova/transformers');
    const { env, pipeline } = transformers;
    const quantized = options.quantized ?? false;

    let modelName: string;
    let id: string;
    if (isLocalModel(options.model)) {
      const folder = path.resolve(options.model);
      // Transformers.js looks a local model up as <localModelPath>/<name>; never let it fall back to the hub.
      env.localModelPath = `${path.dirname(folder)}${path.sep}`;
      env.allowLocalModels = true;
      env.allowRemoteModels = false;
      modelName = path.basename(folder);
      id = await localModelId(folder, quantized);
    } else {
      env.allowLocalModels = false;
      env.allowRemoteModels = true;
      env.cacheDir = path.join(options.dataDir, 'models', 'hub-cache');
      modelName = options.model;
      id = quantized ? `${options.model}@quantized` : options.model;
    }

    let extractor: FeatureExtractionPipeline;
    try {
      extractor = await pipeline('feature-extraction', modelName, { quantized });
    } catch (err) {
      const where = isLocalModel(options.model)
        ? `the folder ${path.resolve(options.model)} (needs config.json, tokenizer.json, tokenizer_config.json, onnx/model${quantized ? '_quantized' : ''}.onnx)`
        : `the Hugging Face hub or the cache in ${env.cacheDir} (offline machines need a local folder or the built-in model)`;
      throw new Error(`could not load encoder model ${options.model} from ${where}: ${errorText(err)}`);
    }
    // The dimension is whatever the model produces; asking it beats trusting config fields that vary by family.
    const probe = await runPipeline(extractor, ['dimension probe'], 0);
    return new TransformersEncoder(id, probe[0].length, extractor, batchSize);
  }

  async encode(texts: string[]): Promise<Float32Array[]> {
    this.assertOpen();
    if (texts.length === 0) return [];
    // Transformers.js pads each batch to its longest text, so batching texts of similar token counts
    // together saves most of the padding work when a caller passes a whole catalog.
    const order = texts.length > this.batchSize ? this.orderByTokenCount(texts) : texts.map((_, i) => i);
    const result = new Array<Float32Array>(texts.length);
    for (let start = 0; start < order.length; start += this.batchSize) {
      const indices = order.slice(start, start + this.batchSize);
      const vectors = await runPipeline(
        this.extractor,
        indices.map((i) => texts[i]),
        this.dimension,
      );
      indices.forEach((textIndex, k) => (result[textIndex] = vectors[k]));
    }
    return result;
  }

  /** Token ids exactly as the model receives them (after truncation); for parity checks and diagnostics. */
  tokenize(texts: string[]): Promise<number[][]> {
    return new Promise((resolve) => {
      this.assertOpen();
      resolve(texts.map((text) => this.tokenIds(text)));
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.extractor.dispose();
  }

  private tokenIds(text: string): number[] {
    const encoded = this.extractor.tokenizer(text, {
      truncation: true,
      padding: false,
      return_tensor: false,
    }) as {
      input_ids: number[];
    };
    return encoded.input_ids;
  }

  private orderByTokenCount(texts: string[]): number[] {
    const lengths = texts.map((text) => this.tokenIds(text).length);
    return texts.map((_, i) => i).sort((a, b) => lengths[a] - lengths[b] || a - b);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`encoder ${this.id} is closed`);
  }
}

/** The slice of Transformers.js' tensors this adapter reads. */
interface TensorLike {
  dims: number[];
  data: ArrayLike<number | bigint>;
}

/**
 * Tokenise, run the model, mean-pool over the attention mask, L2-normalise.
 *
 * The pipeline's own `pooling: 'mean'` is not used: it walks the hidden states dimension-first with a
 * BigInt-to-Number conversion per element, which measured at ~40% of the CPU time of a batch of titles
 * (more than half the model itself). Pooling position-first over a mask read once gives the same numbers
 * (both accumulate in doubles) for a few microseconds per text.
 */
async function runPipeline(
  extractor: FeatureExtractionPipeline,
  texts: string[],
  expectedDimension: number,
): Promise<Float32Array[]> {
  const inputs = extractor.tokenizer(texts, { padding: true, truncation: true }) as {
    attention_mask: TensorLike;
  };
  const outputs = (await extractor.model(inputs)) as Record<string, TensorLike | undefined>;
  // Same output preference as the feature-extraction pipeline.
  const hidden = outputs.last_hidden_state ?? outputs.logits ?? outputs.token_embeddings;
  if (!hidden || hidden.dims.length !== 3) throw new Error('model has no [batch, sequence, hidden] output');
  const [rows, positions, dimension] = hidden.dims;
  if (rows !== texts.length || (expectedDimension > 0 && dimension !== expectedDimension)) {
    throw new Error(`encoder returned [${hidden.dims.join(', ')}] for ${texts.length} texts`);
  }
  const data = hidden.data as Float32Array;
  const mask = inputs.attention_mask.data;
  const vectors: Float32Array[] = [];
  const sum = new Float64Array(dimension);
  for (let r = 0; r < rows; r++) {
    sum.fill(0);
    let count = 0;
    for (let t = 0; t < positions; t++) {
      if (Number(mask[r * positions + t]) === 0) continue;
      count++;
      const offset = (r * positions + t) * dimension;
      for (let d = 0; d < dimension; d++) sum[d] += data[offset + d];
    }
    let norm = 0;
    for (let d = 0; d < dimension; d++) norm += sum[d] * sum[d];
    // Dividing the sum by the count would cancel out in the normalisation; only the norm is needed.
    norm = Math.sqrt(norm);
    if (count === 0 || !Number.isFinite(norm) || norm === 0) {
      throw new Error(`encoder produced no usable vector for text ${JSON.stringify(texts[r].slice(0, 80))}`);
    }
    const vector = new Float32Array(dimension);
    for (let d = 0; d < dimension; d++) vector[d] = sum[d] / norm;
    vectors.push(vector);
  }
  return vectors;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function isLocalModel(model: string): boolean {
  return path.isAbsolute(model) || model.startsWith('.') || existsSync(path.resolve(model));
}

/**
 * A prepared folder (with aisle-model.json) is named by its manifest: `use-lite-512@<checksum prefix>`. The
 * files are re-hashed first so a damaged copy cannot produce vectors under a trusted id. Any other folder
 * is named by a hash of the files Transformers.js will read.
 */
async function localModelId(folder: string, quantized: boolean): Promise<string> {
  if (await readModelManifest(folder)) {
    const manifest = await verifyModelFolder(folder);
    if (!manifest) {
      throw new Error(
        `model folder ${folder} does not match its aisle-model.json; run model:prepare to rebuild it`,
      );
    }
    return `${manifest.name}@${manifest.checksum.slice(0, 12)}`;
  }
  const files = [
    'config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    `onnx/model${quantized ? '_quantized' : ''}.onnx`,
  ];
  const hashes: string[] = [];
  for (const rel of files) {
    const full = path.join(folder, rel);
    hashes.push(`${rel} ${existsSync(full) ? sha256Hex(await readFile(full)) : '-'}`);
  }
  return `${path.basename(folder)}@${sha256Hex(hashes.join('\n')).slice(0, 12)}`;
}

interface OrtSessionFactory {
  create(...args: unknown[]): Promise<unknown>;
}

let onnxThreads: number | undefined;

/**
 * Transformers.js 2.x creates its onnxruntime sessions with default options (no way to pass any), i.e. one
 * intra-op thread per core. With several encoder processes on one machine that oversubscribes the CPU, so
 * session creation is wrapped, once per process, to inject the thread counts.
 */
function limitOnnxRuntimeThreads(intraOpThreads: number): void {
  if (!Number.isInteger(intraOpThreads) || intraOpThreads < 1) throw new Error('intraOpThreads must be >= 1');
  const alreadyPatched = onnxThreads !== undefined;
  onnxThreads = intraOpThreads;
  if (alreadyPatched) return;
  // Resolve onnxruntime-node the way Transformers.js does, so the patched class is the one it uses.
  const fromTransformers = createRequire(require.resolve('@xenova/transformers'));
  const ort = fromTransformers('onnxruntime-node') as { InferenceSession: OrtSessionFactory };
  const session = ort.InferenceSession;
  const original = session.create.bind(session);
  session.create = (...args: unknown[]): Promise<unknown> => {
    const [source, options] = args;
    if (args.length <= 2 && (options === undefined || (typeof options === 'object' && options !== null))) {
      return original(source, {
        ...(options ?? {}),
        intraOpNumThreads: onnxThreads,
        interOpNumThreads: 1,
        // Batches have a different sequence length almost every call, so memory patterns planned for one
        // shape are rarely reused; planning them anyway measured ~5% slower.
        enableMemPattern: false,
      });
    }
    return original(...args);
  };
}
