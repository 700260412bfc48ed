import { useState } from 'preact/hooks';
import { useLocation, useSearch } from 'wouter-preact';
import { api, enc } from '../api';
import { ItemCell } from '../components/item-cell';
import { RecommendationTable } from '../components/recommendation-table';
import { SortableTable, type Column } from '../components/sortable-table';
import { Empty, Loading, ProblemBox } from '../components/states';
import { fmtMoney, fmtNum, fmtTime } from '../format';
import type { Item, RecommendationList, UserEvent } from '../types';
import { useLoad, type Loaded } from '../use-api';

const LIST = 'limit=20&explain=true&includeItems=true';

/** The most ids one GET /v1/items?ids= takes. */
const IDS_PER_REQUEST = 100;

/** Items by id in as few requests as the API allows (the events endpoint names items by id only). */
async function itemsById(ids: string[]): Promise<Map<string, Item | null>> {
  const unique = [...new Set(ids)];
  const chunks: string[][] = [];
  for (let i = 0; i < unique.length; i += IDS_PER_REQUEST) chunks.push(unique.slice(i, i + IDS_PER_REQUEST));
  const answers = await Promise.all(
    chunks.map((c) => api<{ items: Item[] }>(`/v1/items?ids=${c.map(enc).join(',')}`)),
  );
  const found = new Map(answers.flatMap((a) => a.items).map((it) => [it.id, it]));
  // A deleted item stays in the history: shown by its id.
  return new Map(unique.map((id) => [id, found.get(id) ?? null]));
}

function Section<T>({
  what,
  loaded,
  children,
}: {
  what: string;
  loaded: Loaded<T>;
  children: (data: T) => preact.ComponentChildren;
}) {
  if (loaded.state === 'loading') return <Loading what={what} />;
  if (loaded.state === 'error') return <ProblemBox problem={loaded.problem} />;
  if (loaded.state === 'ok') return <>{children(loaded.data)}</>;
  return null;
}

type EventRow = UserEvent & { key: string; item: Item | null | undefined };

function UserView({ userId }: { userId: string }) {
  const [discovery, setDiscovery] = useState(false);
  const history = useLoad(
    () => api<{ events: UserEvent[] }>(`/v1/users/${enc(userId)}/events?limit=50`).then((r) => r.events),
    [userId],
  );
  // The events name items by id only: the table shows at once and fills in titles and images as they arrive.
  const ids = history.state === 'ok' ? history.data.map((e) => e.itemId) : null;
  const items = useLoad(ids ? () => itemsById(ids) : null, [ids?.join(',')]);
  const known = items.state === 'ok' ? items.data : new Map<string, Item | null>();
  const recs = useLoad(
    () =>
      api<RecommendationList>(
        `/v1/users/${enc(userId)}/recommendations?${LIST}&excludePurchased=${discovery}`,
      ),
    [userId, discovery],
  );
  const titles = new Map<string, string>();
  for (const [id, it] of known) if (it) titles.set(id, it.title);

  const columns: Column<EventRow>[] = [
    { key: 'time', label: 'When', sort: (e) => e.timestamp, render: (e) => fmtTime(e.timestamp) },
    { key: 'type', label: 'Event', sort: (e) => e.type, render: (e) => e.type.replace(/_/g, ' ') },
    {
      key: 'item',
      label: 'Item',
      sort: (e) => e.item?.title ?? e.itemId,
      render: (e) => <ItemCell id={e.itemId} item={e.item} />,
    },
    {
      key: 'value',
      label: 'Qty / rating',
      numeric: true,
      sort: (e) => e.value,
      render: (e) => fmtNum(e.value),
    },
    {
      key: 'price',
      label: 'Price',
      numeric: true,
      sort: (e) => e.item?.price,
      render: (e) => fmtMoney(e.item?.price),
    },
  ];

  return (
    <div class="cols">
      <section aria-labelledby="history-h">
        <h2 id="history-h">History of {userId}</h2>
        <Section what="history" loaded={history}>
          {(events) =>
            events.length === 0 ? (
              <Empty>No events for this user.</Empty>
            ) : (
              <SortableTable
                testId="history"
                caption={`The ${events.length} most recent events, newest first`}
                rows={events.map((e, i) => ({ ...e, key: `${i}`, item: known.get(e.itemId) }))}
                columns={columns}
                rowKey={(e) => e.key}
              />
            )
          }
        </Section>
      </section>
      <section aria-labelledby="recs-h">
        <h2 id="recs-h">What {userId} is shown</h2>
        <label class="row">
          <input
            type="checkbox"
            checked={discovery}
            onChange={(e) => setDiscovery(e.currentTarget.checked)}
          />
          discovery only (leave out what they bought)
        </label>
        <Section what="recommendations" loaded={recs}>
          {(list) => (
            <RecommendationTable
              testId="user-recs"
              list={list}
              titles={titles}
              caption="GET /v1/users/:id/recommendations, with reasons"
            />
          )}
        </Section>
      </section>
    </div>
  );
}

function ItemView({ itemId }: { itemId: string }) {
  const item = useLoad(() => api<Item>(`/v1/items/${enc(itemId)}`), [itemId]);
  const similar = useLoad(
    () => api<RecommendationList>(`/v1/items/${enc(itemId)}/similar?${LIST}`),
    [itemId],
  );
  const bought = useLoad(
    () =>
      api<RecommendationList>('/v1/recommendations', {
        method: 'POST',
        body: { itemIds: [itemId], limit: 20, explain: true, includeItems: true },
      }),
    [itemId],
  );
  const titles = new Map<string, string>();
  if (item.state === 'ok') titles.set(itemId, item.data.title);
  return (
    <>
      <Section what="the item" loaded={item}>
        {(it) => (
          <div class="row" data-testid="item-head">
            {it.imageUrl && (
              <img class="thumb" src={it.imageUrl} alt={it.title} style={{ width: '96px', height: '96px' }} />
            )}
            <div>
              <h2 style={{ margin: 0 }}>{it.title}</h2>
              <span class="muted">
                {it.id} · {it.category ?? 'no category'} · {fmtMoney(it.price)} ·{' '}
                {it.inStock === false ? 'out of stock' : 'in stock'}
              </span>
            </div>
          </div>
        )}
      </Section>
      <div class="cols">
        <section aria-labelledby="similar-h">
          <h2 id="similar-h">Similar items</h2>
          <Section what="similar items" loaded={similar}>
            {(list) => (
              <RecommendationTable
                testId="similar"
                list={list}
                titles={titles}
                caption="GET /v1/items/:id/similar"
              />
            )}
          </Section>
        </section>
        <section aria-labelledby="bought-h">
          <h2 id="bought-h">For a cart holding it</h2>
          <Section what="cart recommendations" loaded={bought}>
            {(list) => (
              <RecommendationTable
                testId="complements"
                list={list}
                titles={titles}
                caption="POST /v1/recommendations with this item: complements and alternatives"
              />
            )}
          </Section>
        </section>
      </div>
    </>
  );
}

function SearchView({ text }: { text: string }) {
  const list = useLoad(
    () =>
      api<RecommendationList>('/v1/recommendations', {
        method: 'POST',
        body: { text, limit: 20, explain: true, includeItems: true },
      }),
    [text],
  );
  return (
    <section aria-labelledby="search-h">
      <h2 id="search-h">Catalog search: “{text}”</h2>
      <Section what="search results" loaded={list}>
        {(l) => <RecommendationTable testId="search" list={l} caption="POST /v1/recommendations with text" />}
      </Section>
    </section>
  );
}

function LookupForm({
  id,
  label,
  name,
  initial,
  onGo,
}: {
  id: string;
  label: string;
  name: string;
  initial: string;
  onGo: (v: string) => void;
}) {
  const [value, setValue] = useState(initial);
  return (
    <form
      class="row"
      role="search"
      aria-label={label}
      onSubmit={(e) => {
        e.preventDefault();
        if (value.trim()) onGo(value.trim());
      }}
    >
      <label for={id}>{label}</label>
      <input id={id} name={name} value={value} onInput={(e) => setValue(e.currentTarget.value)} />
      <button type="submit">Show</button>
    </form>
  );
}

export function ExplorePage() {
  const params = new URLSearchParams(useSearch());
  const [, navigate] = useLocation();
  const user = params.get('user');
  const item = params.get('item');
  const text = params.get('q');
  return (
    <>
      <h1>Explore</h1>
      <div class="row" style={{ gap: '1.5rem' }}>
        <LookupForm
          key={`u-${user ?? ''}`}
          id="user-id"
          name="user"
          label="User id"
          initial={user ?? ''}
          onGo={(v) => navigate(`/explore?user=${enc(v)}`)}
        />
        <LookupForm
          key={`i-${item ?? ''}`}
          id="item-id"
          name="item"
          label="Item id"
          initial={item ?? ''}
          onGo={(v) => navigate(`/explore?item=${enc(v)}`)}
        />
        <LookupForm
          key={`q-${text ?? ''}`}
          id="text"
          name="q"
          label="Search the catalog"
          initial={text ?? ''}
          onGo={(v) => navigate(`/explore?q=${enc(v)}`)}
        />
      </div>
      {user ? (
        <UserView key={`u-${user}`} userId={user} />
      ) : item ? (
        <ItemView key={`i-${item}`} itemId={item} />
      ) : text ? (
        <SearchView key={`q-${text}`} text={text} />
      ) : (
        <Empty>
          Enter a user id to see their history beside their list, an item id for its neighbours, or a few
          words to search the catalog.
        </Empty>
      )}
    </>
  );
}
