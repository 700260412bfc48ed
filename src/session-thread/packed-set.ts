import {
  SESSION_BLEND_KEYS,
  sessionColumns,
  type SessionBlend,
  type SessionCandidateSet,
} from '../ranking/session-ranking';
import type { GatheredSet } from './session-thread.protocol';

/** A packed buffer holds a set's feature columns in the order of the blend's keys, then the buyers column. */
const FLOATS = SESSION_BLEND_KEYS.length + 1;
/** itemRows, knnVia, transVia (positions in the session, −1 for none), and each id's length. */
const INTS = 4;

/**
 * A gathered candidate set as the session thread sends it: every number in one buffer, moved to the main thread
 * rather than copied, and the ids as one string.
 *
 * Why not the set itself: a structured clone of its dozen arrays and hundreds of strings was rebuilt object by
 * object on the main thread, and those objects outlived young-generation collections: with the thread on, the
 * main thread promoted ~2 MB per scavenge, against ~0.1 MB with it off.
 */
export interface PackedSet {
  size: number;
  /** The candidates' ids end to end; their lengths are in `buffer`. */
  ids: string;
  buffer: ArrayBuffer;
  /** GatheredSet.rejected, joined by NUL (which no stored id holds: PostgreSQL text cannot). */
  rejected: string;
}

/** `g` packed; `session` is the request's session, which every `knnVia` and `transVia` is an item of. */
export function packGathered(g: GatheredSet, session: readonly string[]): PackedSet {
  const { set, buyers } = g;
  const n = set.size;
  const buffer = new ArrayBuffer(n * (FLOATS * 8 + INTS * 4));
  const floats = new Float64Array(buffer, 0, FLOATS * n);
  const columns = sessionColumns(set);
  SESSION_BLEND_KEYS.forEach((key, k) => floats.set(columns[key], k * n));
  floats.set(buyers, SESSION_BLEND_KEYS.length * n);
  const ints = new Int32Array(buffer, FLOATS * n * 8, INTS * n);
  ints.set(set.itemRows, 0);
  const position = new Map<string, number>();
  session.forEach((id, i) => position.set(id, i));
  const at = (id: string | undefined) => (id === undefined ? -1 : (position.get(id) ?? -1));
  for (let i = 0; i < n; i++) {
    ints[n + i] = at(set.knnVia[i]);
    ints[2 * n + i] = at(set.transVia[i]);
    ints[3 * n + i] = set.ids[i].length;
  }
  return { size: n, ids: set.ids.join(''), buffer, rejected: g.rejected.join('\0') };
}

/**
 * The set `packGathered(g, session)` packed, without the rejected ids (packedRejected: only holding a set reads
 * them); its number columns are views on `p.buffer`.
 */
export function unpackGathered(p: PackedSet, session: readonly string[]): Omit<GatheredSet, 'rejected'> {
  const n = p.size;
  const floats = new Float64Array(p.buffer, 0, FLOATS * n);
  const ints = new Int32Array(p.buffer, FLOATS * n * 8, INTS * n);
  const column = (k: number) => floats.subarray(k * n, (k + 1) * n);
  const feature = (key: keyof SessionBlend) => column(SESSION_BLEND_KEYS.indexOf(key));
  const ids = new Array<string>(n);
  const knnVia = new Array<string | undefined>(n);
  const transVia = new Array<string | undefined>(n);
  let from = 0;
  for (let i = 0; i < n; i++) {
    const to = from + ints[3 * n + i];
    ids[i] = p.ids.slice(from, to);
    from = to;
    const k = ints[n + i];
    const t = ints[2 * n + i];
    knnVia[i] = k >= 0 ? session[k] : undefined;
    transVia[i] = t >= 0 ? session[t] : undefined;
  }
  const set: SessionCandidateSet = {
    size: n,
    ids,
    cos: feature('cos'),
    cosFlat: feature('cosFlat'),
    knn: feature('knn'),
    knnRecent: feature('knnRecent'),
    trans: feature('trans'),
    transRecent: feature('transRecent'),
    logTrend: feature('trend'),
    logPop: feature('pop'),
    knnVia,
    transVia,
    itemRows: ints.subarray(0, n),
  };
  return { set, buyers: column(SESSION_BLEND_KEYS.length) };
}

/** The ids `p`'s gathering rejected (GatheredSet.rejected). */
export function packedRejected(p: PackedSet): string[] {
  return p.rejected === '' ? [] : p.rejected.split('\0');
}
