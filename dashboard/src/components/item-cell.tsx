import { Link } from 'wouter-preact';
import type { Item } from '../types';

/** An item as a link to its Explore view, with its image when the catalog has one. */
export function ItemCell({ id, item }: { id: string; item?: Item | null }) {
  return (
    <span class="row" style={{ margin: 0, flexWrap: 'nowrap' }}>
      {item?.imageUrl && <img class="thumb" src={item.imageUrl} alt="" loading="lazy" />}
      <span>
        <Link href={`/explore?item=${encodeURIComponent(id)}`}>{item?.title ?? id}</Link>
        <br />
        <small class="muted">
          {id}
          {item?.category ? ` · ${item.category}` : ''}
        </small>
      </span>
    </span>
  );
}
