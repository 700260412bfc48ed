import { Link } from 'wouter-preact';
import { api, enc } from '../api';
import { hasScope, useSession } from '../auth';
import { SortableTable, type Column } from '../components/sortable-table';
import { Empty, Loading, NeedsScope, ProblemBox } from '../components/states';
import { fmtInt, fmtTime } from '../format';
import type { StoredPlacement } from '../types';
import { useLoad } from '../use-api';

export const placementHref = (id: string) => `/placements/${enc(id)}`;

/** Every placement at its current revision (GET /v1/admin/placements). */
export function PlacementsPage() {
  const session = useSession();
  const admin = hasScope(session, 'admin');
  const list = useLoad(
    admin
      ? () => api<{ placements: StoredPlacement[] }>('/v1/admin/placements').then((r) => r.placements)
      : null,
    [admin],
  );
  const columns: Column<StoredPlacement>[] = [
    {
      key: 'id',
      label: 'Placement',
      sort: (p) => p.id,
      render: (p) => <Link href={placementHref(p.id)}>{p.id}</Link>,
    },
    { key: 'title', label: 'Title', sort: (p) => p.title, render: (p) => p.title ?? '–' },
    { key: 'kind', label: 'Kind', sort: (p) => p.kind, render: (p) => <code>{p.kind}</code> },
    {
      key: 'rules',
      label: 'Rules',
      numeric: true,
      sort: (p) => p.rules?.length ?? 0,
      render: (p) => fmtInt(p.rules?.length ?? 0),
    },
    {
      key: 'limit',
      label: 'Items',
      numeric: true,
      sort: (p) => p.limit,
      render: (p) => fmtInt(p.limit ?? 10),
    },
    {
      key: 'revision',
      label: 'Revision',
      numeric: true,
      sort: (p) => p.revision,
      render: (p) => fmtInt(p.revision),
    },
    { key: 'updated', label: 'Changed', sort: (p) => p.updatedAt, render: (p) => fmtTime(p.updatedAt) },
    { key: 'by', label: 'By', sort: (p) => p.updatedBy, render: (p) => <code>{p.updatedBy}</code> },
  ];
  return (
    <>
      <div class="row">
        <h1>Placements</h1>
        <span class="spacer" />
        {admin && (
          <Link href="/placements/new" class="button primary">
            New placement
          </Link>
        )}
      </div>
      <p class="muted">
        Where a list is shown and the merchandiser’s rules for it; a storefront asks for a placement by its
        id.
      </p>
      {!admin ? (
        <NeedsScope scope="admin" />
      ) : list.state === 'loading' || list.state === 'idle' ? (
        <Loading what="placements" />
      ) : list.state === 'error' ? (
        <ProblemBox problem={list.problem} />
      ) : list.data.length === 0 ? (
        <Empty>
          No placements yet. <Link href="/placements/new">Create the first one</Link>: a named list (a home
          page’s “for you”, a product page’s “similar”) with its own rules.
        </Empty>
      ) : (
        <SortableTable
          testId="placements"
          caption="Placements, by id"
          rows={list.data}
          columns={columns}
          rowKey={(p) => p.id}
          initialSort={{ key: 'id', dir: 'asc' }}
        />
      )}
    </>
  );
}
