import type { CatalogSnapshot } from '../catalog/catalog-snapshot';
import type { ItemsRepository } from '../catalog/items.repository';
import { normalize } from '../common/vectors';
import { catalogLetterCase, type EmbeddingsService } from '../embeddings/embeddings.service';
import { itemText } from '../embeddings/item-text';
import type { IndexService } from '../vector-index/index.service';

export interface SessionVectorSources {
  index: Pick<IndexService, 'vectorOf' | 'currentProjection'>;
  items: Pick<ItemsRepository, 'findMany'>;
  embeddings: Pick<EmbeddingsService, 'encodeTexts' | 'encodeQuery'>;
}

/**
 * Served vectors of a session's items, in session order. Items the index does not hold yet (added since the
 * last reindex) are embedded from their text on the spot — read in one query and encoded in one call, and at
 * most `cap` of them (the most recent, which weigh most): a request naming a hundred unknown ids must not
 * cost a hundred encodings. Items beyond the cap only shape the list by being excluded from it.
 */
export async function sessionItemVectors(
  sources: SessionVectorSources,
  ids: readonly string[],
  cap: number,
): Promise<Array<{ id: string; v: Float32Array }>> {
  const indexed = new Map<string, Float32Array>();
  const missing: string[] = [];
  for (const id of ids) {
    const v = sources.index.vectorOf(id);
    if (v) indexed.set(id, v);
    else if (!missing.includes(id)) missing.push(id);
  }
  const embedded = new Map<string, Float32Array>();
  const wanted = cap > 0 ? missing.slice(-cap) : [];
  if (wanted.length > 0) {
    const records = await sources.items.findMany(wanted);
    if (records.length > 0) {
      const texts = await sources.embeddings.encodeTexts(records.map((r) => itemText(r)));
      const proj = sources.index.currentProjection();
      records.forEach((r, k) => {
        const text = texts[k];
        // A projection of another dimension belongs to another encoder: such a vector cannot be compared.
        if (proj && proj.dimension !== text.length) return;
        embedded.set(r.id, normalize(proj ? proj.project(r.id, text) : text));
      });
    }
  }
  const out: Array<{ id: string; v: Float32Array }> = [];
  for (const id of ids) {
    const v = indexed.get(id) ?? embedded.get(id);
    if (v) out.push({ id, v });
  }
  return out;
}

/** A shopper's text query as a served vector: embedded once, in the catalog's letter case, then projected. */
export async function textQueryVector(
  sources: SessionVectorSources,
  text: string,
  catalog: Pick<CatalogSnapshot, 'ids' | 'get'>,
): Promise<Float32Array> {
  function* titles(): Generator<string> {
    for (const id of catalog.ids()) {
      const title = catalog.get(id)?.title;
      if (title !== undefined) yield title;
    }
  }
  const raw = await sources.embeddings.encodeQuery(text, catalogLetterCase(titles()));
  const proj = sources.index.currentProjection();
  return normalize(proj ? proj.project('', raw) : raw);
}
