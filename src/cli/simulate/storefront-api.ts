/** The server's public API, nothing else: the simulator is a storefront and a back office. */
export class Api {
  constructor(
    private readonly base: string,
    private readonly key: string | undefined,
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.base.replace(/\/$/, '')}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.key ? { 'x-api-key': this.key } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    const json = (text ? JSON.parse(text) : undefined) as (T & { detail?: string }) | undefined;
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${json?.detail ?? text}`);
    return json as T;
  }

  async job(path: string, body: unknown = {}): Promise<Record<string, unknown>> {
    const { jobId } = await this.call<{ jobId: string }>('POST', path, body);
    for (;;) {
      const job = await this.call<{ status: string; error?: string; result?: Record<string, unknown> }>(
        'GET',
        `/v1/admin/jobs/${jobId}`,
      );
      if (job.status === 'succeeded') return job.result ?? {};
      if (job.status === 'failed') throw new Error(`${path} job failed: ${job.error ?? 'no reason given'}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/**
 * The shop as it was at the cutoff, moved in time so that the cutoff is today: the catalog, every purchase
 * before the cutoff (idempotent eventIds, so a second seeding adds nothing), then the jobs a shop runs (index,
 * co-purchase neighbours and, unless switched off, the nightly fine-tune).

/** Runs `work` over `items` with at most `limit` in flight; results keep the items' order. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  work: (t: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
