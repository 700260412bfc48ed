import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, enc, type ApiProblem } from '../api';
import { hasScope, useSession } from '../auth';
import { Chart } from '../components/chart';
import { JobProgress } from '../components/job-progress';
import { SortableTable, type Column } from '../components/sortable-table';
import { Empty, Loading, NeedsScope, ProblemBox } from '../components/states';
import { fmtInt, fmtNum, fmtTime } from '../format';
import type { EpochLoss, Job, ModelMetrics, ModelVersion, ModelsResponse } from '../types';
import { asProblem, useLoad } from '../use-api';

function LossCurve({ title, metrics }: { title: string; metrics: ModelMetrics }) {
  const data = useMemo(() => {
    const epochs: EpochLoss[] = Array.isArray(metrics.epochs) ? metrics.epochs : [];
    const initial = typeof metrics.initialValidationLoss === 'number' ? metrics.initialValidationLoss : null;
    // Epoch 0 is the projection before training: only its validation loss is measured.
    const x = [...(initial === null ? [] : [0]), ...epochs.map((e) => e.epoch)];
    return {
      x,
      series: [
        {
          label: 'training loss',
          values: [...(initial === null ? [] : [null]), ...epochs.map((e) => e.trainLoss)],
        },
        {
          label: 'validation loss',
          values: [...(initial === null ? [] : [initial]), ...epochs.map((e) => e.validationLoss)],
        },
      ],
    };
  }, [metrics]);
  if (data.x.length === 0) return <Empty>This fine-tune recorded no loss curve.</Empty>;
  return (
    <Chart
      testId="loss-curve"
      title={title}
      x={data.x}
      categories={data.x.map((e) => `epoch ${e}`)}
      series={data.series}
      format={fmtNum}
    />
  );
}

function MetricsAcrossVersions({ versions }: { versions: ModelVersion[] }) {
  const data = useMemo(() => {
    const ordered = [...versions].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    const num = (v: unknown) => (typeof v === 'number' ? v : null);
    return {
      categories: ordered.map((v) => v.version),
      x: ordered.map((_, i) => i),
      series: [
        {
          label: 'validation NDCG@10',
          values: ordered.map((v) => num(v.metrics.validationNdcg)),
          points: true,
        },
        {
          label: 'model in service then',
          values: ordered.map((v) => num(v.metrics.activeValidationNdcg)),
          points: true,
        },
      ],
    };
  }, [versions]);
  return (
    <Chart
      testId="versions-chart"
      title="Offline metrics by version (validation window)"
      x={data.x}
      categories={data.categories}
      series={data.series}
      format={fmtNum}
    />
  );
}

/** Asks before an activation: it re-projects the catalog and changes every list served. */
function ConfirmActivate({
  version,
  onCancel,
  onConfirm,
}: {
  version: string;
  onCancel: () => void;
  onConfirm: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  return (
    <dialog ref={dialog} aria-labelledby="confirm-h" onClose={onCancel}>
      <h2 id="confirm-h">Activate {version}?</h2>
      <p>
        Every list will be served by <code>{version}</code> once the catalog is re-projected with it. You can
        roll back to any version whose weights are kept.
      </p>
      <div class="row">
        <button type="button" class="primary" onClick={onConfirm}>
          Activate {version}
        </button>
        <button type="button" onClick={() => dialog.current?.close()}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}

function VersionsTable({
  data,
  onActivate,
  selected,
  onSelect,
}: {
  data: ModelsResponse;
  onActivate: (v: string) => void;
  selected: string | null;
  onSelect: (v: string) => void;
}) {
  const columns: Column<ModelVersion>[] = [
    { key: 'version', label: 'Version', sort: (v) => v.version, render: (v) => <code>{v.version}</code> },
    {
      key: 'status',
      label: 'Status',
      sort: (v) => v.status,
      render: (v) => <span class={`badge ${v.status === 'active' ? 'active' : ''}`}>{v.status}</span>,
    },
    { key: 'created', label: 'Trained', sort: (v) => v.createdAt, render: (v) => fmtTime(v.createdAt) },
    {
      key: 'ndcg',
      label: 'Validation NDCG@10',
      numeric: true,
      sort: (v) => v.metrics.validationNdcg,
      render: (v) => fmtNum(v.metrics.validationNdcg),
    },
    {
      key: 'cases',
      label: 'Validation cases',
      numeric: true,
      sort: (v) => v.metrics.validationCases,
      render: (v) => fmtInt(v.metrics.validationCases),
    },
    {
      key: 'pairs',
      label: 'Training pairs',
      numeric: true,
      sort: (v) => v.metrics.trainPairs,
      render: (v) => fmtInt(v.metrics.trainPairs),
    },
    {
      key: 'actions',
      label: 'Actions',
      render: (v) => (
        <span class="row" style={{ margin: 0 }}>
          <button type="button" aria-pressed={selected === v.version} onClick={() => onSelect(v.version)}>
            Loss curve
          </button>
          {v.version !== data.active && (
            <button type="button" onClick={() => onActivate(v.version)}>
              {data.active &&
              v.createdAt < (data.versions.find((x) => x.version === data.active)?.createdAt ?? '')
                ? 'Roll back to this'
                : 'Activate'}
            </button>
          )}
        </span>
      ),
    },
  ];
  return (
    <SortableTable
      testId="versions"
      caption="Model versions, newest first"
      rows={data.versions}
      columns={columns}
      rowKey={(v) => v.version}
      rowClass={(v) => (v.version === data.active ? 'active-row' : undefined)}
      initialSort={{ key: 'created', dir: 'desc' }}
    />
  );
}

function Jobs({ onFinished }: { onFinished: (job: Job) => void }) {
  const [running, setRunning] = useState<Array<{ id: string; kind: string }>>([]);
  const [full, setFull] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const start = async (kind: 'finetune' | 'reindex') => {
    setProblem(null);
    try {
      const { jobId } = await api<{ jobId: string }>(`/v1/admin/${kind}`, {
        method: 'POST',
        body: kind === 'reindex' ? { full } : undefined,
      });
      setRunning((r) => [{ id: jobId, kind }, ...r]);
    } catch (e) {
      setProblem(asProblem(e));
    }
  };
  return (
    <section aria-labelledby="jobs-h">
      <h2 id="jobs-h">Train or rebuild</h2>
      <div class="row">
        <button type="button" onClick={() => void start('finetune')}>
          Start a fine-tune
        </button>
        <button type="button" onClick={() => void start('reindex')}>
          Start a reindex
        </button>
        <label class="row" style={{ margin: 0 }}>
          <input type="checkbox" checked={full} onChange={(e) => setFull(e.currentTarget.checked)} />
          full (re-embed every item)
        </label>
      </div>
      {problem && <ProblemBox problem={problem} />}
      {running.map((j) => (
        <JobProgress key={j.id} id={j.id} kind={j.kind} onDone={onFinished} />
      ))}
    </section>
  );
}

/** Where the blends the lists are ranked with came from, in words. */
function blendsSource(b: ModelsResponse['servedBlends']): string {
  switch (b.source) {
    case 'retuned':
      return `Lists are ranked with blends re-tuned for this model on ${b.retunedAt ? fmtTime(b.retunedAt) : 'an earlier run'} by a fine-tune whose candidate was refused.`;
    case 'version':
      return 'Lists are ranked with the blends tuned with this version.';
    default:
      return 'Lists are ranked with the default blends: no fine-tune has tuned them for this shop yet.';
  }
}

export function ModelsPage() {
  const session = useSession();
  const admin = hasScope(session, 'admin');
  const models = useLoad(admin ? () => api<ModelsResponse>('/v1/admin/models') : null, [admin]);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [activating, setActivating] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [lastJob, setLastJob] = useState<Job | null>(null);

  if (!admin) {
    return (
      <>
        <h1>Models</h1>
        <NeedsScope scope="admin" />
      </>
    );
  }

  const activate = async (version: string) => {
    setConfirming(null);
    setActivating(version);
    setMessage(null);
    setProblem(null);
    try {
      await api(`/v1/admin/models/${enc(version)}/activate`, { method: 'POST' });
      setMessage(`${version} is now the active model.`);
      models.reload();
    } catch (e) {
      setProblem(asProblem(e));
    } finally {
      setActivating(null);
    }
  };

  const data = models.state === 'ok' ? models.data : null;
  const shown =
    data?.versions.find((v) => v.version === selected) ??
    data?.versions.find((v) => v.version === data.active) ??
    data?.versions[0];
  const jobMetrics = lastJob?.result?.metrics as ModelMetrics | undefined;

  return (
    <>
      <h1>Models</h1>
      {models.state === 'loading' && <Loading what="model versions" />}
      {models.state === 'error' && <ProblemBox problem={models.problem} />}
      {data && (
        <>
          <p data-testid="active-model">
            Active model: <strong>{data.active ?? 'none (raw text vectors)'}</strong>
          </p>
          <p data-testid="served-blends" class="muted">
            {blendsSource(data.servedBlends)}
          </p>
          {activating && (
            <p role="status" class="muted">
              Activating {activating}: re-projecting the catalog…
            </p>
          )}
          {message && (
            <p role="status" class="muted">
              {message}
            </p>
          )}
          {problem && <ProblemBox problem={problem} />}
          {data.versions.length === 0 ? (
            <Empty>No model versions yet: start a fine-tune below.</Empty>
          ) : (
            <>
              <VersionsTable
                data={data}
                onActivate={setConfirming}
                selected={shown?.version ?? null}
                onSelect={setSelected}
              />
              <div class="cols">
                <MetricsAcrossVersions versions={data.versions} />
                {shown && <LossCurve title={`Loss by epoch: ${shown.version}`} metrics={shown.metrics} />}
              </div>
            </>
          )}
        </>
      )}
      <Jobs
        onFinished={(job) => {
          setLastJob(job);
          models.reload();
        }}
      />
      {lastJob?.kind === 'finetune' && jobMetrics && (
        <LossCurve
          title={`Loss by epoch: the fine-tune just run (${typeof lastJob.result?.version === 'string' ? lastJob.result.version : 'no version'})`}
          metrics={jobMetrics}
        />
      )}
      {confirming && (
        <ConfirmActivate
          version={confirming}
          onCancel={() => setConfirming(null)}
          onConfirm={() => void activate(confirming)}
        />
      )}
    </>
  );
}
