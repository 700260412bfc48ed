import { useEffect, useRef, useState } from 'preact/hooks';
import { api, enc, type ApiProblem } from '../api';
import { fmtInt, fmtMoney, fmtNum } from '../format';
import type { Draft } from '../placement-draft';
import type { Preview, PreviewContext, PreviewItem, PreviewSide } from '../types';
import { asProblem } from '../use-api';
import { ItemCell } from './item-cell';
import { SortableTable, type Column } from './sortable-table';
import { Empty, Loading, ProblemBox } from './states';

/** How long the draft must stay still before the preview asks again: typing a weight is one request. */
const DEBOUNCE_MS = 300;

type Row = PreviewItem & { rank: number; change: string };

function changeOf(id: string, rank: number, other: Map<string, number>, after: boolean): string {
  const was = other.get(id);
  if (was === undefined) return after ? 'new' : 'dropped';
  if (!after) return '';
  if (was === rank) return '';
  return was > rank ? `↑${was - rank}` : `↓${rank - was}`;
}

function SideTable({
  side,
  other,
  after,
  caption,
  testId,
}: {
  side: PreviewSide;
  other: PreviewSide;
  after: boolean;
  caption: string;
  testId: string;
}) {
  if (side.items.length === 0) return <Empty>This list is empty.</Empty>;
  const otherRanks = new Map(other.items.map((it, i) => [it.id, i + 1]));
  const rows: Row[] = side.items.map((it, i) => ({
    ...it,
    rank: i + 1,
    change: changeOf(it.id, i + 1, otherRanks, after),
  }));
  const columns: Column<Row>[] = [
    { key: 'rank', label: '#', numeric: true, sort: (r) => r.rank, render: (r) => r.rank },
    {
      key: 'item',
      label: 'Item',
      sort: (r) => r.item?.title ?? r.id,
      render: (r) => <ItemCell id={r.id} item={r.item} />,
    },
    {
      key: 'rules',
      label: 'Rules',
      sort: (r) => (r.rules ?? []).join(' '),
      render: (r) =>
        (r.rules ?? []).length === 0 ? (
          <span class="muted">–</span>
        ) : (
          <span class="rule-marks">
            {(r.rules ?? []).map((k) => (
              <span key={k} class="badge touched" title={`moved by rule ${k}`}>
                {k}
              </span>
            ))}
          </span>
        ),
    },
    {
      key: 'change',
      label: after ? 'vs now' : 'with draft',
      sort: (r) => r.change,
      render: (r) => <span class={`change ${r.change === 'dropped' ? 'dropped' : ''}`}>{r.change}</span>,
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
    <SortableTable
      testId={testId}
      caption={caption}
      rows={rows}
      columns={columns}
      rowKey={(r) => r.id}
      rowClass={(r) => ((r.rules ?? []).length > 0 ? 'touched' : undefined)}
    />
  );
}

function RuleSummary({ side }: { side: PreviewSide }) {
  const removed = Object.entries(side.removedByRule);
  return (
    <p class="muted">
      strategy <code>{side.strategy}</code> · rules in force:{' '}
      {side.activeRules.length === 0 ? 'none' : side.activeRules.map((k) => <code key={k}>{k} </code>)}
      {removed.map(([k, n]) => (
        <span key={k}>
          {' '}
          · <code>{k}</code> removed {fmtInt(n)}
        </span>
      ))}
    </p>
  );
}

/**
 * The draft beside the stored placement for one shopper (POST /v1/admin/placements/:id/preview), asked again
 * whenever the draft or the shopper changes. The last answer stays on screen while the next one is computed.
 */
export function PlacementPreview({
  placementId,
  draft,
  context,
  onProblem,
}: {
  placementId: string;
  draft: Draft;
  context: PreviewContext;
  onProblem: (p: ApiProblem | null) => void;
}) {
  const [preview, setPreview] = useState<Preview | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const asked = useRef(0);
  const body = JSON.stringify({ placement: draft, context, includeItems: true });

  useEffect(() => {
    // The first preview is asked for at once; later ones wait for the draft to stay still.
    const delay = asked.current === 0 ? 0 : DEBOUNCE_MS;
    const n = ++asked.current;
    setBusy(true);
    const timer = window.setTimeout(() => {
      api<Preview>(`/v1/admin/placements/${enc(placementId)}/preview`, {
        method: 'POST',
        body: JSON.parse(body) as unknown,
      }).then(
        (p) => {
          if (n !== asked.current) return;
          setPreview(p);
          setProblem(null);
          setBusy(false);
          onProblem(null);
        },
        (e: unknown) => {
          if (n !== asked.current) return;
          const pr = asProblem(e);
          setProblem(pr);
          setBusy(false);
          onProblem(pr);
        },
      );
    }, delay);
    return () => window.clearTimeout(timer);
  }, [placementId, body]);

  return (
    <div data-testid="preview" aria-busy={busy ? 'true' : 'false'}>
      {problem && <ProblemBox problem={problem} />}
      {problem && preview && (
        <p class="muted">
          The lists below are the last preview the server could compute; fix the draft to update them.
        </p>
      )}
      {!preview && !problem && <Loading what="the preview" />}
      {preview && (
        <>
          {busy && (
            <p class="muted" role="status">
              Updating the preview…
            </p>
          )}
          {preview.warnings.length > 0 && (
            <ul class="banner warning" data-testid="preview-warnings">
              {preview.warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          )}
          <div class={problem ? 'cols stale' : 'cols'}>
            <section aria-labelledby="before-h">
              <h3 id="before-h">Now: {preview.withoutDraft.source ?? 'the stored placement'}</h3>
              <RuleSummary side={preview.withoutDraft} />
              <SideTable
                testId="preview-before"
                side={preview.withoutDraft}
                other={preview.withDraft}
                after={false}
                caption="The list as served now"
              />
            </section>
            <section aria-labelledby="after-h">
              <h3 id="after-h">With the draft</h3>
              <RuleSummary side={preview.withDraft} />
              <SideTable
                testId="preview-after"
                side={preview.withDraft}
                other={preview.withoutDraft}
                after
                caption="The list with this draft; rows moved by a rule are marked with its name"
              />
            </section>
          </div>
        </>
      )}
    </div>
  );
}
