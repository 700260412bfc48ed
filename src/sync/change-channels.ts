/**
 * Every PostgreSQL notification channel of the cross-process change feed, and what its payloads mean. The
 * catalog, users, model and co-purchase channels are sent by triggers in the writing transaction
 * (migrations/*-AddChangeFeedTriggers.ts); the index channel by the process that published an index file.
 */
export const CHANNELS = {
  /** Items inserted, updated (incl. soft deletes, stock) or deleted. */
  catalog: 'aisle_catalog',
  /** Users whose events were stored or erased. */
  users: 'aisle_users',
  /** A model version's status changed (activation, rollback). */
  model: 'aisle_model',
  /** A new vector index was published under DATA_DIR/index. */
  index: 'aisle_index',
  /** A co-purchase computation was stored. */
  copurchase: 'aisle_copurchase',
} as const;

export type Channel = (typeof CHANNELS)[keyof typeof CHANNELS];

/**
 * Re-read these items (`deleted`: each of them was deleted, so it can be dropped before the re-read); or every
 * item written at or after `since`; or the whole catalog.
 */
export type CatalogNotice = { ids: string[]; deleted?: boolean } | { since: string } | { reload: true };

/** Drop these users' cached state (or every user's); `purchases`: popularity moved; `erased`: a user was erased. */
export type UserNotice = { purchases: boolean; erased: boolean } & ({ ids: string[] } | { all: true });

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;
const isStringArray = (x: unknown): x is string[] =>
  Array.isArray(x) && x.every((v) => typeof v === 'string');

/** Anything unreadable asks for a full reload: a missed change costs more than a reload. */
export function parseCatalogNotice(payload: unknown): CatalogNotice {
  if (isObject(payload)) {
    if (isStringArray(payload.ids))
      return payload.deleted === true ? { ids: payload.ids, deleted: true } : { ids: payload.ids };
    if (typeof payload.since === 'string' && !Number.isNaN(Date.parse(payload.since)))
      return { since: payload.since };
  }
  return { reload: true };
}

export function parseUserNotice(payload: unknown): UserNotice {
  const p = isObject(payload) ? payload : {};
  const flags = { purchases: p.purchases !== false, erased: p.erased === true };
  return isStringArray(p.ids) ? { ...flags, ids: p.ids } : { ...flags, all: true };
}
