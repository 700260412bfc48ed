import { storedKey } from './session';

/** An RFC 9457 problem answered by the API (or made up here when the answer was not one). */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly title: string,
    /** One entry per bad field (`rules[2].match.price.$gte`), as the API named them. */
    readonly errors: ReadonlyArray<{ path: string; message: string }> = [],
  ) {
    super(detail);
  }
}

interface ProblemBody {
  title?: string;
  detail?: string;
  errors?: Array<{ path: string; message: string }>;
}

async function problemOf(res: Response): Promise<ApiProblem> {
  let body: ProblemBody = {};
  try {
    body = (await res.json()) as ProblemBody;
  } catch {
    // Not JSON (a proxy's error page): fall back to the status line.
  }
  const fields = body.errors?.map((e) => `${e.path}: ${e.message}`).join('; ');
  const detail = [body.detail ?? `${res.status} ${res.statusText}`, fields].filter(Boolean).join(' — ');
  return new ApiProblem(res.status, detail, body.title ?? res.statusText, body.errors ?? []);
}

/** Calls the public API; `key` overrides the signed-in key (sign-in checks a key before storing it). */
export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; key?: string | null } = {},
): Promise<T> {
  const key = init.key === undefined ? storedKey() : init.key;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (key) headers['X-API-Key'] = key;
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method: init.method ?? 'GET',
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  } catch {
    throw new ApiProblem(0, 'The server did not answer (network error).', 'Network error');
  }
  if (!res.ok) throw await problemOf(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const enc = encodeURIComponent;
