import type { CatalogSnapshot } from '../catalog/catalog-snapshot';
import type { ItemsRepository } from '../catalog/items.repository';
import { normalize } from '../common/vectors';
import { catalogLetterCase, type EmbeddingsService } from '../embeddings/embeddings.service';
import { itemText } from '../embeddings/item-text';
import { ProblemException } from '../common/problem';
import type { IndexService } from '../vector-index/index.service';

export interface SessionVectorSources {
  index: Pick<IndexService, 'vectorOf' | 'currentProjection' | 'current'>;
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
  const servedBefore = sources.index.current();
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
      records.forEach((r, k) => {
        const v = placeText(sources.index, r.id, texts[k]);
        if (v) embedded.set(r.id, v);
      });
    }
  }
  // The index may have been swapped while the texts were embedded (a reindex, a model adopted from another
  // process): a query is made of the vectors of the index served now, which the texts were just placed in.
  if (sources.index.current() !== servedBefore) {
    indexed.clear();
    for (const id of ids) {
      const v = sources.index.vectorOf(id);
      if (v) indexed.set(id, v);
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
  const v = placeText(sources.index, '', raw);
  if (!v)
    throw new ProblemException(
      503,
      'The vector index is being rebuilt for the active model version: text queries are answered again once it is served. Retry shortly.',
    );
  return v;
}

/**
 * A text's unit vector in the served index's space (`id`: the item it describes, '' for a query), or undefined
 * when it cannot be placed there: the projection belongs to another encoder, or no projection of the served
 * index's version is held (a model adopted from another process before its index). Mixing spaces would rank by
 * meaningless cosines, or fail the search on its dimension.
 */
export function placeText(
  index: Pick<IndexService, 'currentProjection' | 'current'>,
  id: string,
  text: Float32Array,
): Float32Array | undefined {
  const served = index.current()?.info.dimension;
  const proj = index.currentProjection();
  if (proj ? proj.inputDimension !== text.length : served !== undefined && served !== text.length)
    return undefined;
  const v = normalize(proj ? proj.project(id, text) : text);
  return served === undefined || v.length === served ? v : undefined;
}
