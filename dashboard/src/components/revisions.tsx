import { useState } from 'preact/hooks';
import { api, enc, type ApiProblem } from '../api';
import { fmtInt, fmtTime } from '../format';
import type { PlacementDefinition, PlacementRevision, StoredPlacement } from '../types';
import { asProblem, useLoad } from '../use-api';
import { SortableTable, type Column } from './sortable-table';
import { Empty, Loading, ProblemBox } from './states';

/** Every stored revision, newest first; any older one can be restored (as a new revision) or edited from. */
export function Revisions({
  placementId,
  current,
  onRestored,
  onEdit,
}: {
  placementId: string;
  current: number;
  onRestored: (p: StoredPlacement, from: number) => void;
  onEdit: (definition: PlacementDefinition, revision: number) => void;
}) {
  const revisions = useLoad(
    () =>
      api<{ revisions: PlacementRevision[] }>(`/v1/admin/placements/${enc(placementId)}/revisions`).then(
        (r) => r.revisions,
      ),
    [placementId, current],
  );
  const [busy, setBusy] = useState<number | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);

  const restore = async (revision: number) => {
    setBusy(revision);
    setProblem(null);
    try {
      onRestored(
        await api<StoredPlacement>(`/v1/admin/placements/${enc(placementId)}/revisions/${revision}/restore`, {
          method: 'POST',
        }),
        revision,
      );
    } catch (e) {
      setProblem(asProblem(e));
    } finally {
      setBusy(null);
    }
  };

  if (revisions.state === 'loading' || revisions.state === 'idle') return <Loading what="revisions" />;
  if (revisions.state === 'error') return <ProblemBox problem={revisions.problem} />;
  if (revisions.data.length === 0) return <Empty>No revisions yet.</Empty>;
  const columns: Column<PlacementRevision>[] = [
    {
      key: 'revision',
      label: 'Revision',
      numeric: true,
      sort: (r) => r.revision,
      render: (r) => (
        <>
          {fmtInt(r.revision)}
          {r.revision === current && <span class="badge active"> current</span>}
        </>
      ),
    },
    { key: 'when', label: 'Saved', sort: (r) => r.createdAt, render: (r) => fmtTime(r.createdAt) },
    { key: 'who', label: 'By', sort: (r) => r.createdBy, render: (r) => <code>{r.createdBy}</code> },
    {
      key: 'from',
      label: 'Restored from',
      numeric: true,
      sort: (r) => r.restoredFrom,
      render: (r) => (r.restoredFrom ? fmtInt(r.restoredFrom) : '–'),
    },
    { key: 'kind', label: 'Kind', sort: (r) => r.definition.kind, render: (r) => r.definition.kind },
    {
      key: 'rules',
      label: 'Rules',
      numeric: true,
      sort: (r) => r.definition.rules?.length ?? 0,
      render: (r) => fmtInt(r.definition.rules?.length ?? 0),
    },
    {
      key: 'actions',
      label: 'Actions',
      render: (r) =>
        r.revision === current ? (
          <span class="muted">in service</span>
        ) : (
          <span class="row" style={{ margin: 0 }}>
            <button
              type="button"
              class="small"
              disabled={busy !== null}
              onClick={() => void restore(r.revision)}
            >
              Restore revision {r.revision}
            </button>
            <button type="button" class="small" onClick={() => onEdit(r.definition, r.revision)}>
              Edit from revision {r.revision}
            </button>
          </span>
        ),
    },
  ];
  return (
    <>
      {problem && <ProblemBox problem={problem} />}
      <SortableTable
        testId="revisions"
        caption="Every revision of this placement, newest first"
        rows={revisions.data}
        columns={columns}
        rowKey={(r) => String(r.revision)}
        initialSort={{ key: 'revision', dir: 'desc' }}
      />
    </>
  );
}
