import { Injectable } from '@nestjs/common';
import { EmbeddingsRepository, type ItemTextRow } from './embeddings.repository';
import { EncoderProvider } from './encoder.provider';
import { normalize } from '../common/vectors';

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
      const vectors = await encoder.encode(part.map((p) => p.text));
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

  /** An item-like text (e.g. a new item's) as the catalog writes it. */
  async encodeText(text: string): Promise<Float32Array> {
    const encoder = await this.encoders.get();
    const [v] = await encoder.encode([text]);
    return v;
  }

  /**
   * A shopper's query. Catalogs often write titles in capitals ("LUNCH BAG RED RETROSPOT") while shoppers type
   * lower case, and the encoder's vocabulary is case-sensitive: the query is embedded as typed, lower-cased and
   * upper-cased, and the vectors averaged, so it meets the items it names whatever the catalog's style.
   */
  async encodeQuery(text: string): Promise<Float32Array> {
    const encoder = await this.encoders.get();
    const forms = [...new Set([text, text.toLowerCase(), text.toUpperCase()])];
    const vs = await encoder.encode(forms);
    const sum = new Float32Array(encoder.dimension);
    for (const v of vs) for (let i = 0; i < v.length; i++) sum[i] += v[i];
    return normalize(sum);
  }
}
