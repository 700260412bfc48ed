import type { VocabEntry } from './use-lite-source';

/**
 * The Transformers.js tokenizer files for USE-lite, built from the SentencePiece `vocab.json`.
 *
 * Target behaviour is the tokenizer of `@energetic-ai/embeddings` (dist/index.js, `Tokenizer.encode`), which
 * the TF.js model was used with:
 *  - NFKC, then every " " becomes "▁" (no collapsing, no trimming: "A  B" keeps two), then one "▁" is
 *    prepended — even when the text already starts with a space. No lowercasing: case is significant.
 *  - Viterbi over piece log-probabilities; a character no piece starts with becomes the unknown id 0, and
 *    runs of unknowns fuse into one.
 *  - Pieces 0-5 ("�", "<s>", "</s>", extra_token_id_1..3) are reserved: never matched in text.
 * Mapped onto tokenizer.json: normalizer Sequence[NFKC, Replace " "->"▁", Prepend "▁"], no pre-tokenizer
 * (splitting on "▁" would change the segmentation), a Unigram model with unk_id 0, and no post-processor
 * (USE-lite uses no BOS/EOS).
 *
 * Known, accepted differences (< 1% of product titles, measured by the parity test):
 *  - ties between equal-score segmentations are broken differently (the original keeps the last candidate);
 *  - the original treats a running score of exactly 0 as "unset", so a text starting with a zero-score
 *    piece such as "▁:" is segmented differently.
 */

/** Unicode "lower one eighth block", SentencePiece's word-boundary marker. */
export const SPIECE_UNDERLINE = '\u2581';
const RESERVED_PIECES = 6;

export function buildTokenizerJson(vocab: VocabEntry[]): object {
  const pieces = vocab.map(([piece, score], id): [string, number] => {
    // The shipped vocab has `null` scores for a few pieces (":" and friends); the original tokenizer adds
    // them as numbers, i.e. as 0. Writing 0 keeps that behaviour and keeps the JSON strictly numeric.
    const numeric = score ?? 0;
    // Reserved pieces must never match text. After normalisation a text contains no plain space (all became
    // "▁"), so a leading space makes a piece unmatchable while keeping its id and its readable name.
    if (id > 0 && id < RESERVED_PIECES) return [` ${piece}`, numeric];
    return [piece, numeric];
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFKC' },
        { type: 'Replace', pattern: { String: ' ' }, content: SPIECE_UNDERLINE },
        { type: 'Prepend', prepend: SPIECE_UNDERLINE },
      ],
    },
    pre_tokenizer: null,
    post_processor: null,
    decoder: {
      type: 'Metaspace',
      replacement: SPIECE_UNDERLINE,
      add_prefix_space: true,
      prepend_scheme: 'always',
    },
    model: { type: 'Unigram', unk_id: 0, vocab: pieces, byte_fallback: false },
  };
}

export function buildTokenizerConfig(vocab: VocabEntry[], maxTokens: number): object {
  const unk = vocab[0][0];
  return {
    tokenizer_class: 'PreTrainedTokenizer',
    model_max_length: maxTokens,
    // Padding needs a token that exists in the vocabulary; the model ignores padded positions through the
    // attention mask, so the unknown piece serves.
    unk_token: unk,
    pad_token: unk,
    remove_space: false,
    do_lower_case: false,
    clean_up_tokenization_spaces: false,
  };
}

export function buildModelConfig(opts: { dimension: number; maxTokens: number; vocabSize: number }): object {
  return {
    // Transformers.js picks the model class by model_type; "bert" maps to a plain encoder whose forward pass
    // feeds input_ids + attention_mask and returns last_hidden_state, which is all this graph needs.
    model_type: 'bert',
    architectures: ['BertModel'],
    hidden_size: opts.dimension,
    max_position_embeddings: opts.maxTokens,
    vocab_size: opts.vocabSize,
    aisle_encoder: {
      name: 'use-lite-512',
      pooling: 'the sentence vector is repeated over positions; any pooling returns it',
      normalized: true,
    },
  };
}
