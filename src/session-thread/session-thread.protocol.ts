import type { ItemMeta } from '../catalog/catalog-snapshot';
import type { BuyerCountColumns } from '../ranking/purchase-signals';
import type { NeighbourListsWire } from '../ranking/neighbour-lists';
import type { SessionBlend, SessionCandidateSet } from '../ranking/session-ranking';
import type { ListOptions } from '../recommendations/dto/options.schema';
import type { PackedSet } from './packed-set';

/**
 * Messages between a server's main thread and its session thread. One port carries them in order: every state
 * change the main thread saw before a request reaches the thread before that request does.
 */
export type ToSessionThread =
  /** Catalog fields the business rules read; `null` removes the item. `reset` first forgets every item. */
  | { kind: 'items'; reset: boolean; entries: Array<[string, ItemMeta | null]> }
  /** Load the published index in `dir` (`name` is its directory name) and answer `index-ready` or `index-failed`. */
  | { kind: 'index'; name: string; dir: string }
  /** The purchase signals, answered by `signals-ready` with the same `seq`; lists left out are the ones sent before. */
  | {
      kind: 'signals';
      seq: number;
      counts: BuyerCountColumns;
      asOf: number;
      lists?: NeighbourListsWire;
      transitions?: NeighbourListsWire;
    }
  /**
   * The shared memory gathered sets are packed into: slot k is `slotBytes` bytes from k · `slotBytes`. Sent first
   * to every thread started; a set the request names a slot for is packed there when it fits (ArenaSet).
   */
  | { kind: 'arena'; buffer: SharedArrayBuffer; claims: SharedArrayBuffer; slotBytes: number }
  | { kind: 'gather'; id: number; request: GatherRequest; slot?: number }
  /** Exit once the message in hand is handled, skipping the ones queued behind it (the server is closing). */
  | { kind: 'stop' };

/** A slot's claim (the `arena` message's `claims`): request ids are positive. */
export const CLAIMED_BY_THREAD = -1;
export const CLAIMED_HERE = -2;

export type FromSessionThread =
  | { kind: 'index-ready'; name: string }
  | { kind: 'index-failed'; name: string; message: string }
  /** The signals message `seq` is applied: gatherings from here on read those signals. */
  | { kind: 'signals-ready'; seq: number }
  /** The request's candidates, packed (packed-set.ts) with the request's `session`. */
  | { kind: 'gathered'; id: number; packed: PackedSet }
  /** The same, packed into the request's slot of the arena: the set without its buffer, which is the arena. */
  | { kind: 'gathered-in-slot'; id: number; packed: Omit<PackedSet, 'buffer'> }
  | { kind: 'gather-failed'; id: number; message: string }
  /** The answer to `stop`: the thread exits right after sending it. */
  | { kind: 'stopped' };

export interface GatherRequest {
  /** The index the candidates must come from: the thread refuses to answer from another. */
  indexName: string;
  session: string[];
  query: Float32Array | undefined;
  /**
   * No query sent: the thread makes it from its copy of the session items' vectors (sessionQuery), which the
   * sender saw the index hold for every item.
   */
  queryOfSession?: boolean;
  rules: Pick<ListOptions, 'category' | 'minPrice' | 'maxPrice' | 'inStockOnly'>;
  excluded: string[];
  cosFlat: boolean;
  /** The blend the set will be ranked by (SessionSources.selectBy). */
  selectBy?: SessionBlend;
}

/**
 * A session candidate set, each candidate's distinct buyers (what the new-arrival rule reads), and the items the
 * business rules turned away while gathering — by their row in the purchase signals, or by id when they have
 * none: with the candidates, every item whose catalog fields the set depends on (a held set is dropped when one
 * of them changes; session-set-cache.ts).
 */
export interface GatheredSet {
  set: SessionCandidateSet;
  buyers: Float64Array;
  rejectedRows: readonly number[];
  rejectedIds: readonly string[];
}
