import { Injectable } from '@nestjs/common';
import { EmbeddingsRepository, type ItemTextRow } from './embeddings.repository';
import { EncoderProvider } from './encoder.provider';
import { normalize } from '../common/vectors';

/** How a catalog writes its titles: all capitals, all lower case, or as sentences. */
export type LetterCase = 'upper' | 'lower' | 'mixed';

/** The case most titles share (over a sample): "mixed" unless three quarters agree on one. */
export function catalogLetterCase(titles: Iterable<string>, sample = 500): LetterCase {
  let upper = 0;
  let lower = 0;
  let seen = 0;
  for (const title of titles) {
    if (seen >= sample) break;
    // Titles without letters ("12345") say nothing about case.
    if (title.toUpperCase() === title.toLowerCase()) continue;
    seen += 1;
    if (title === title.toUpperCase()) upper += 1;
    else if (title === title.toLowerCase()) lower += 1;
  }
  if (seen === 0) return 'mixed';
  return upper >= 0.75 * seen ? 'upper' : lower >= 0.75 * seen ? 'lower' : 'mixed';
}

export interface EmbedResult {
  encoderId: string;
  dimension: number;
  items: number;
  embedded: number;
  reused: number;
  pruned: number;
  /** Each live item's id and the hash of the text it was embedded for (what the following index must hold). */
  covered: Map<string, string>;
}

/** Embeds what is new or changed (everything with `full`), in chunks committed as they finish. */
@Injectable()
export class EmbeddingsService {
  constructor(
    private readonly repo: EmbeddingsRepository,
    private readonly encoders: EncoderProvider,
  ) {}

  async embedCatalog(
    opts: { full?: boolean },
    progress: (done: number, total: number) => void = () => undefined,
  ): Promise<EmbedResult> {
    const encoder = await this.encoders.get();
    const items = await this.repo.liveItemTexts();
    const have = opts.full ? new Set<string>() : await this.repo.existing(encoder.id, items);
    const todo: ItemTextRow[] = items.filter((i) => !have.has(i.id));
    // Chunks are committed one by one: a crash loses at most one chunk of work, never stored vectors.
    const chunk = 512;
    progress(0, todo.length);
    for (let i = 0; i < todo.length; i += chunk) {
      const part = todo.slice(i, i + chunk);
      // Bulk: requests waiting for the encoder go first, but this keeps a share (EMBED_BULK_EVERY).
      const vectors = await encoder.encode(
        part.map((p) => p.text),
        { lane: 'bulk' },
      );
      await this.repo.save(
        encoder.id,
        part.map((p, j) => ({ id: p.id, hash: p.hash, vector: vectors[j] })),
      );
      progress(Math.min(todo.length, i + chunk), todo.length);
    }
    const pruned = await this.repo.pruneStale(encoder.id, items);
    return {
      encoderId: encoder.id,
      dimension: encoder.dimension,
      items: items.length,
      embedded: todo.length,
      reused: items.length - todo.length,
      pruned,
      covered: new Map(items.map((i) => [i.id, i.hash])),
    };
  }

  /**
   * Text vectors of all live items for the current encoder (the reindex input), read from PostgreSQL, with the
   * items that were live when read (`live`: id → text hash): an item without a vector for its current text is
   * in `live` but not in `vectors`.
   */
  async catalogVectors(): Promise<{
    encoderId: string;
    dimension: number;
    vectors: Map<string, Float32Array>;
    live: Map<string, string>;
  }> {
    const encoder = await this.encoders.get();
    const items = await this.repo.liveItemTexts();
    return {
      encoderId: encoder.id,
      dimension: encoder.dimension,
      vectors: await this.repo.vectorsFor(encoder.id, items),
      live: new Map(items.map((i) => [i.id, i.hash])),
    };
  }

  /** An item-like text (e.g. a new item's) as the catalog writes it, for a waiting request. */
  async encodeText(text: string): Promise<Float32Array> {
    const [v] = await this.encodeTexts([text]);
    return v;
  }

  /** Item-like texts for a waiting request, in one encoder call (one batch when they fit in one). */
  async encodeTexts(texts: string[]): Promise<Float32Array[]> {
    const encoder = await this.encoders.get();
    return encoder.encode(texts, { lane: 'interactive' });
  }

  /**
   * A shopper's query, embedded once. Catalogs often write titles in capitals ("LUNCH BAG RED RETROSPOT")
   * while shoppers type lower case, and the encoder's vocabulary is case-sensitive: the query is written in
   * the catalog's own case (`letterCase`, see catalogLetterCase) so it meets the items it names.
   */
  async encodeQuery(text: string, letterCase: LetterCase = 'mixed'): Promise<Float32Array> {
    const form =
      letterCase === 'upper' ? text.toUpperCase() : letterCase === 'lower' ? text.toLowerCase() : text;
    const [v] = await this.encodeTexts([form]);
    return normalize(v);
  }
}
