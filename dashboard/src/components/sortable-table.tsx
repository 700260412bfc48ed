import type { ComponentChildren } from 'preact';
import { useMemo, useState } from 'preact/hooks';

export interface Column<T> {
  key: string;
  label: string;
  /** The value the column sorts by; columns without one are not sortable. */
  sort?: (row: T) => number | string | null | undefined;
  render: (row: T) => ComponentChildren;
  numeric?: boolean;
}

interface Props<T> {
  rows: T[];
  columns: Column<T>[];
  rowKey: (row: T) => string;
  caption: string;
  initialSort?: { key: string; dir: 'asc' | 'desc' };
  rowClass?: (row: T) => string | undefined;
  /** `data-*` attributes of a row (tests find a row by what it shows, or by these). */
  rowData?: (row: T) => Record<`data-${string}`, string>;
  testId?: string;
}

function compare(a: number | string | null | undefined, b: number | string | null | undefined): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

/** A table whose column headers sort it (click again to reverse); the order is announced with aria-sort. */
export function SortableTable<T>({
  rows,
  columns,
  rowKey,
  caption,
  initialSort,
  rowClass,
  rowData,
  testId,
}: Props<T>) {
  const [sort, setSort] = useState(initialSort ?? null);
  const sorted = useMemo(() => {
    const col = sort && columns.find((c) => c.key === sort.key);
    if (!sort || !col?.sort) return rows;
    const by = col.sort;
    const out = [...rows].sort((a, b) => compare(by(a), by(b)));
    return sort.dir === 'desc' ? out.reverse() : out;
  }, [rows, columns, sort]);

  return (
    <table class="table" data-testid={testId}>
      <caption>{caption}</caption>
      <thead>
        <tr>
          {columns.map((c) => {
            const dir = sort?.key === c.key ? sort.dir : null;
            return (
              <th
                key={c.key}
                scope="col"
                class={c.numeric ? 'num' : undefined}
                aria-sort={dir === 'asc' ? 'ascending' : dir === 'desc' ? 'descending' : undefined}
              >
                {c.sort ? (
                  <button
                    type="button"
                    class="sort"
                    onClick={() => setSort({ key: c.key, dir: dir === 'asc' ? 'desc' : 'asc' })}
                  >
                    {c.label}
                    <span aria-hidden="true">{dir === 'asc' ? ' ▲' : dir === 'desc' ? ' ▼' : ' ↕'}</span>
                  </button>
                ) : (
                  c.label
                )}
              </th>
            );
          })}
        </tr>
      </thead>
      <tbody>
        {sorted.map((r) => (
          <tr key={rowKey(r)} class={rowClass?.(r)} {...rowData?.(r)}>
            {columns.map((c) => (
              <td key={c.key} class={c.numeric ? 'num' : undefined}>
                {c.render(r)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
