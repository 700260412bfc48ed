import type { SimilarList } from '../ranking/similar-ranking';
import type { RecommendationList } from './response';
import { OldestFirst } from '../common/oldest-first';

/**
 * Items the held answers may show in all, per held list the cache may hold: a product page's list is 4–20 items,
 * and a bound by items keeps a shop that asks for 100 from holding a hundred times the memory (an answer's item
 * costs ~100 bytes: at the default 100,000 lists, ~120 MB at most).
 */
const ANSWER_ITEMS_PER_LIST = 12;

interface Held {
  list: SimilarList;
  /** Read since it was last inserted or given its second chance. */
  used: boolean;
}

/**
 * Ranked similar lists per item, unfiltered, for the inputs they were ranked with (the served index, the
 * co-purchase generation, the similar blend): a change of any drops them all. At most `capacity` items are
 * held. Eviction gives a second chance (the CLOCK approximation of least-recently-used): the oldest list leaves
 * unless it was read since it was held or last spared, in which case it goes to the back and the next is looked
 * at. A read only sets a flag: moving the list to the back of the order on every read (a delete and an insert)
 * was a fifth of a held list's cost, and most shops' lists all fit, so the order is rarely consulted. Requests
 * filter a held list (stock, price, deletions, exclusions) when they read it, so a held list never serves an
 * item that stopped passing.
 *
 * Beside them it holds finished answers (`finished`, `finish`) of requests made the same way, which also depend on
 * the catalog: `catalogChanged` drops those.
 */
export class SimilarListCache {
  private inputs: readonly unknown[] | undefined;
  private readonly lists = new Map<string, Held>();
  private readonly answers = new Map<string, RecommendationList>();
  private readonly oldestList = new OldestFirst(this.lists);
  private readonly oldestAnswer = new OldestFirst(this.answers);
  /** Items the held answers show in all (bounded by ANSWER_ITEMS_PER_LIST × capacity). */
  private answerItems = 0;
  /** Counts every drop of the answers, so an answer made across one is not held (see `finish`). */
  private answersVersion = 0;

  constructor(readonly capacity: number) {}

  get enabled(): boolean {
    return this.capacity > 0;
  }

  get size(): number {
    return this.lists.size;
  }

  /** Drops every list when `inputs` differ (by identity) from those of the held lists. */
  sync(inputs: readonly unknown[]): void {
    const held = this.inputs;
    if (held && held.length === inputs.length && held.every((x, i) => x === inputs[i])) return;
    this.lists.clear();
    this.catalogChanged();
    this.inputs = [...inputs];
  }

  /** Any catalog change may filter a held list differently (stock, deletions, prices): every answer goes. */
  catalogChanged(): void {
    this.answers.clear();
    this.answerItems = 0;
    this.answersVersion += 1;
  }

  /** The version to pass to `finish` for an answer being made now. */
  get version(): number {
    return this.answersVersion;
  }

  /** The held answer to requests made as `key`; shared between requests, so read-only. */
  finished(key: string): RecommendationList | undefined {
    return this.answers.get(key);
  }

  /**
   * Holds the answer to requests made as `key`, unless the answers were dropped since `version` was read (the list
   * was made from what was held then). At most `capacity` answers showing ANSWER_ITEMS_PER_LIST items each on
   * average, the oldest leaving first.
   */
  finish(key: string, list: RecommendationList, version: number): void {
    if (!this.enabled || version !== this.answersVersion || this.answers.has(key)) return;
    const maxItems = ANSWER_ITEMS_PER_LIST * this.capacity;
    if (list.items.length > maxItems) return;
    while (this.answers.size >= this.capacity || this.answerItems + list.items.length > maxItems) {
      const [, answer] = this.oldestAnswer.shift()!;
      this.answerItems -= answer.items.length;
    }
    this.answers.set(key, list);
    this.answerItems += list.items.length;
  }

  has(itemId: string): boolean {
    return this.lists.has(itemId);
  }

  get(itemId: string): SimilarList | undefined {
    const held = this.lists.get(itemId);
    if (!held) return undefined;
    held.used = true;
    return held.list;
  }

  set(itemId: string, list: SimilarList): void {
    if (!this.enabled) return;
    // Room is made before the new list goes in, so it cannot be the one evicted.
    if (!this.lists.delete(itemId)) while (this.lists.size >= this.capacity) this.evictOne();
    this.lists.set(itemId, { list, used: false });
  }

  /** Each list looked at is evicted or loses its flag, so this ends within one pass over the held lists. */
  private evictOne(): void {
    for (;;) {
      const [oldest, held] = this.oldestList.shift()!;
      if (!held.used) return;
      this.lists.set(oldest, { list: held.list, used: false });
    }
  }
}
