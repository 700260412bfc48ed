import { Injectable } from '@nestjs/common';
import { EmbeddingsRepository, type ItemTextRow } from './embeddings.repository';
import { EncoderProvider } from './encoder.provider';

export interface EmbedResult {
  encoderId: string;
  dimension: number;
  items: number;
  embedded: number;
  reused: number;
  pruned: number;
}

/** Embeds what is new or changed (everything with `full`), in chunks committed as they finish. */
@Injectable()
export class EmbeddingsService {
  constructor(
    private readonly repo: EmbeddingsRepository,
    private readonly encoders: EncoderProvider,
  ) {}

  async embedCatalog(opts: { full?: boolean }, progress: (done: number, total: number) => void = () => undefined): Promise<EmbedResult> {
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
        part.map((p, j) => ({ id: p.id, hash: p.hash, vector: vectors[j]! })),
      );
      progress(Math.min(todo.length, i + chunk), todo.length);
    }
    const pruned = await this.repo.pruneStale(encoder.id, items);
    return { encoderId: encoder.id, dimension: encoder.dimension, items: items.length, embedded: todo.length, reused: items.length - todo.length, pruned };
  }

  /** Text vectors of all live items for the current encoder (the reindex input). */
  async catalogVectors(): Promise<{ encoderId: string; dimension: number; vectors: Map<string, Float32Array> }> {
    const encoder = await this.encoders.get();
    const items = await this.repo.liveItemTexts();
    return { encoderId: encoder.id, dimension: encoder.dimension, vectors: await this.repo.vectorsFor(encoder.id, items) };
  }

  async encodeText(text: string): Promise<Float32Array> {
    const encoder = await this.encoders.get();
    const [v] = await encoder.encode([text]);
    return v!;
  }
}
