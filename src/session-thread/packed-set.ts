import {
  SESSION_BLEND_KEYS,
  sessionColumns,
  type SessionBlend,
  type SessionCandidateSet,
} from '../ranking/session-ranking';
import type { GatheredSet } from './session-thread.protocol';

/** A packed buffer holds a set's feature columns in the order of the blend's keys, then the buyers column. */
const FLOATS = SESSION_BLEND_KEYS.length + 1;
/** itemRows, knnVia, transVia (positions in the session, −1 for none), and the length of each id in `ids`. */
const INTS = 4;

/**
 * The catalog items a gathering read (its candidates and the ids the business rules turned away): the ones with
 * a row in the purchase signals it was gathered from by that row, ascending, and the few without one (never
 * sold) by id. Rows rather than ids, so that holding a set costs the main thread no string work (the session
 * thread's signals are a copy of the main thread's, row for row).
 */
export interface ExaminedItems {
  rows: Int32Array;
  ids: readonly string[];
}

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
  /**
   * The ids of the candidates without a row in the purchase signals (never sold), end to end; their lengths are in
   * `buffer`. A candidate with a row is known by it: the receiver reads its id from the same signals (the session
   * thread's copy numbers every item as the main thread's model does), so most ids cross no thread as strings.
   */
  ids: string;
  /**
   * Where the set lies: `byteLength` bytes from `byteOffset`. A buffer of its own (offset 0), or a slot of the
   * session thread's shared arena (PackedSlot), which the main thread gives back once it has read the set.
   */
  buffer: ArrayBuffer | SharedArrayBuffer;
  byteOffset: number;
  byteLength: number;
  /** How many rows of ExaminedItems.rows end the set (sorted by the thread, read in place). */
  examinedRows: number;
  /** ExaminedItems.ids joined by NUL (which no stored id holds: PostgreSQL text cannot). */
  examinedIds: string;
}

/** A place in shared memory a set may be packed into (a slot of the session thread's arena). */
export interface PackedSlot {
  buffer: SharedArrayBuffer;
  /** A multiple of 8: the set's first column is a Float64Array. */
  byteOffset: number;
  byteLength: number;
}

/**
 * `g` packed; `session` is the request's session, which every `knnVia` and `transVia` is an item of. Into `slot`
 * when it is long enough, else into a buffer of its own.
 */
export function packGathered(g: GatheredSet, session: readonly string[], slot?: PackedSlot): PackedSet {
  const { set, buyers } = g;
  const n = set.size;
  let withRow = 0;
  for (let i = 0; i < n; i++) if (set.itemRows[i] >= 0) withRow += 1;
  const examinedRows = withRow + g.rejectedRows.length;
  const byteLength = n * (FLOATS * 8 + INTS * 4) + examinedRows * 4;
  const inSlot = slot !== undefined && byteLength <= slot.byteLength;
  const buffer = inSlot ? slot.buffer : new ArrayBuffer(byteLength);
  const at = inSlot ? slot.byteOffset : 0;
  const floats = new Float64Array(buffer, at, FLOATS * n);
  const columns = sessionColumns(set);
  SESSION_BLEND_KEYS.forEach((key, k) => floats.set(columns[key], k * n));
  floats.set(buyers, SESSION_BLEND_KEYS.length * n);
  const ints = new Int32Array(buffer, at + FLOATS * n * 8, INTS * n);
  ints.set(set.itemRows, 0);
  const positionOf = sessionPositions(session);
  const unsoldIds: string[] = [];
  for (let i = 0; i < n; i++) {
    ints[n + i] = positionOf(set.knnVia[i]);
    ints[2 * n + i] = positionOf(set.transVia[i]);
    // A slot is reused: every int is written, the lengths of ids with a row too.
    ints[3 * n + i] = set.itemRows[i] < 0 ? set.ids[i].length : 0;
    if (set.itemRows[i] < 0) unsoldIds.push(set.ids[i]);
  }
  const rows = new Int32Array(buffer, at + (FLOATS * 8 + INTS * 4) * n, examinedRows);
  const unsold: string[] = [];
  let r = 0;
  for (let i = 0; i < n; i++) {
    if (set.itemRows[i] >= 0) rows[r++] = set.itemRows[i];
    else unsold.push(set.ids[i]);
  }
  rows.set(g.rejectedRows, r);
  rows.sort();
  for (const id of g.rejectedIds) unsold.push(id);
  return {
    size: n,
    ids: unsoldIds.join(''),
    buffer,
    byteOffset: at,
    byteLength,
    examinedRows,
    examinedIds: unsold.join('\0'),
  };
}

/**
 * An item's last position in `session` (−1 when absent): a set names a session item as the reason of each of a
 * few hundred candidates. A cart's ten items are scanned from the end (its via items are mostly the recent ones,
 * and the strings are the session's own, compared by reference first); a string-keyed map per set was two thirds
 * of the map lookups of a gathering on the session thread. Long sessions (a wholesale invoice) get the map.
 */
function sessionPositions(session: readonly string[]): (id: string | undefined) => number {
  if (session.length > SCANNED_SESSION_MAX) {
    const position = new Map<string, number>();
    session.forEach((id, i) => position.set(id, i));
    return (id) => (id === undefined ? -1 : (position.get(id) ?? -1));
  }
  return (id) => {
    if (id === undefined) return -1;
    for (let j = session.length - 1; j >= 0; j--) if (session[j] === id) return j;
    return -1;
  };
}

/** Sessions up to this long are scanned by sessionPositions rather than mapped. */
const SCANNED_SESSION_MAX = 24;

/** `p` in a buffer of its own: itself when it has one, else a copy out of its slot (which is reused). */
export function ownPacked(p: PackedSet): PackedSet {
  if (p.buffer instanceof ArrayBuffer && p.byteOffset === 0 && p.byteLength === p.buffer.byteLength) return p;
  const buffer = new ArrayBuffer(p.byteLength);
  new Uint8Array(buffer).set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  return { ...p, buffer, byteOffset: 0 };
}

/** A gathered set as the ranking reads it: the candidates and their buyers. */
export type UnpackedSet = Pick<GatheredSet, 'set' | 'buyers'>;

/**
 * The set `packGathered(g, session)` packed, without what it read (packedExamined: only holding a set needs
 * that); its number columns are views on `p.buffer`. `idsByRow` are the ids of the signals it was gathered from
 * (PurchaseSignals.idsByRow).
 */
export function unpackGathered(
  p: PackedSet,
  session: readonly string[],
  idsByRow: readonly string[],
): UnpackedSet {
  const n = p.size;
  const floats = new Float64Array(p.buffer, p.byteOffset, FLOATS * n);
  const ints = new Int32Array(p.buffer, p.byteOffset + FLOATS * n * 8, INTS * n);
  const column = (k: number) => floats.subarray(k * n, (k + 1) * n);
  const feature = (key: keyof SessionBlend) => column(SESSION_BLEND_KEYS.indexOf(key));
  const ids = new Array<string>(n);
  const knnVia = new Array<string | undefined>(n);
  const transVia = new Array<string | undefined>(n);
  let from = 0;
  for (let i = 0; i < n; i++) {
    const row = ints[i];
    if (row >= 0) ids[i] = idsByRow[row];
    else {
      const to = from + ints[3 * n + i];
      ids[i] = p.ids.slice(from, to);
      from = to;
    }
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

/** The items `p`'s gathering read; `rows` is a view on `p.buffer` (valid while `p`'s slot is). */
export function packedExamined(p: PackedSet): ExaminedItems {
  return {
    rows: new Int32Array(p.buffer, p.byteOffset + (FLOATS * 8 + INTS * 4) * p.size, p.examinedRows),
    ids: p.examinedIds === '' ? [] : p.examinedIds.split('\0'),
  };
}
