import { fmtMoney, fmtNum } from '../format';
import type { Reason, RecommendationList, RecommendedItem } from '../types';
import { ItemCell } from './item-cell';
import { SortableTable, type Column } from './sortable-table';
import { Empty } from './states';

/** The `reason` of a listed item in words; item ids are named by their titles where the page knows them. */
export function reasonText(reason: Reason | undefined, titles: ReadonlyMap<string, string>): string {
  if (!reason) return '–';
  const names = (ids: string[] | undefined) =>
    (ids ?? [])
      .slice(0, 3)
      .map((id) => titles.get(id) ?? id)
      .join(', ');
  switch (reason.type) {
    case 'similar-to':
      return `Similar to ${names(reason.itemIds)}`;
    case 'co-purchased-with':
      return `Bought with ${names(reason.itemIds)}`;
    case 'bought-after':
      return `Bought after ${names(reason.itemIds)}`;
    case 'bought-before':
      return 'Bought before';
    case 'popular':
      return 'buyers' in reason && typeof reason.buyers === 'number'
        ? `Popular (${fmtNum(reason.buyers)} buyers)`
        : 'Popular';
    case 'matches-text':
      return 'Matches the text';
    default:
      return reason.type;
  }
}

type Ranked = RecommendedItem & { rank: number };

export function RecommendationTable({
  list,
  caption,
  titles = new Map(),
  testId,
}: {
  list: RecommendationList;
  caption: string;
  titles?: ReadonlyMap<string, string>;
  testId?: string;
}) {
  if (list.items.length === 0) return <Empty>This list is empty.</Empty>;
  const all = new Map(titles);
  for (const r of list.items) if (r.item) all.set(r.id, r.item.title);
  const rows: Ranked[] = list.items.map((r, i) => ({ ...r, rank: i + 1 }));
  const columns: Column<Ranked>[] = [
    { key: 'rank', label: '#', numeric: true, sort: (r) => r.rank, render: (r) => r.rank },
    {
      key: 'item',
      label: 'Item',
      sort: (r) => r.item?.title ?? r.id,
      render: (r) => <ItemCell id={r.id} item={r.item} />,
    },
    {
      key: 'reason',
      label: 'Why',
      sort: (r) => reasonText(r.reason, all),
      render: (r) => reasonText(r.reason, all),
    },
    {
      key: 'price',
      label: 'Price',
      numeric: true,
      sort: (r) => r.item?.price,
      render: (r) => fmtMoney(r.item?.price),
    },
    { key: 'score', label: 'Score', numeric: true, sort: (r) => r.score, render: (r) => fmtNum(r.score) },
  ];
  return (
    <>
      <p class="muted">
        strategy <code>{list.strategy}</code> · model <code>{list.modelVersion ?? 'none'}</code>
      </p>
      <SortableTable rows={rows} columns={columns} rowKey={(r) => r.id} caption={caption} testId={testId} />
    </>
  );
}
