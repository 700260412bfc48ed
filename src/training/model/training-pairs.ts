import { topIndicesInOrder } from '../../ranking/top-k';

/**
 * (context → target) pairs for fine-tuning the projection, from a time-ordered interaction log.
 *
 * For each basket (a purchase) of a user: context = everything the user did strictly before the basket,
 * target = each distinct item of the basket — re-orders included, because the prototype found that
 * learning "what sits next to what the customer already buys" is what the projection is for.
 *
 * Context weights: log(1 + count) × 2^(−age / halfLife) × eventWeight, per distinct history item, where
 * count = number of the item's interactions before the basket, age = time since the latest of them and
 * eventWeight = the highest weight among them (a viewed-then-bought item counts as bought). A context keeps its
 * `contextMaxItems` heaviest items: each basket's context is the whole history before it, so without a bound
 * a shopper's (or a crawler's) n baskets over m distinct items store n·m entries, and every training step
 * projects every item its rows' contexts name.
 *
 * Layout is CSR over typed arrays: ~218k pairs share ~16k basket contexts, so contexts are stored once per
 * basket, not per pair.
 */
export interface Interaction {
  userId: string;
  itemId: string;
  timestamp: Date;
  /** 1 (default) for a purchase; views / add-to-carts use smaller weights and never form baskets. */
  weight?: number;
  /** Purchases sharing a basketId form one basket; without it, purchases at the same instant do. */
  basketId?: string;
  /**
   * A learned event that is not an order line (a view, cart or rating the shop learns from): the transitions
   * the gate learns take it as a step of its own, as serving does (TimedPurchase.single).
   */
  single?: boolean;
  /** The session a `single` step was sent with: the gate's transitions chain steps within it (TimedPurchase.sessionId). */
  sessionId?: string;
}

export interface ContextWeightOptions {
  /** Age at which a history item counts half as much; default 60 days. */
  halfLifeDays?: number;
}

export interface PairOptions extends ContextWeightOptions {
  /**
   * Baskets at or after `now − validationDays` (and before `now`) become validation pairs (a younger history: its
   * last fifth, validationWindowStart); default 0.
   */
  validationDays?: number;
  /** End of the data window: baskets at or after it are ignored. Default: just after the last event. */
  now?: Date;
  /** Events with weight ≥ this are purchases (form baskets and targets); default 1. */
  purchaseMinWeight?: number;
  /**
   * The most history items one context keeps: the heaviest by context weight (ties: the earlier seen), in the
   * order they were first seen. Default: no bound.
   */
  contextMaxItems?: number;
}

/** One context per basket: items[offsets[b] .. offsets[b+1]) with their weights. */
export interface ContextCsr {
  offsets: Int32Array;
  items: Int32Array;
  weights: Float32Array;
}

/** Parallel arrays, one entry per (basket, target item) pair. */
export interface PairSplit {
  basket: Int32Array;
  target: Int32Array;
}

export interface TrainingPairs {
  /** Number of catalogue items the indices refer to (the `itemIds` passed in). */
  itemCount: number;
  contexts: ContextCsr;
  /** Basket time in ms since epoch, per basket. */
  basketTime: Float64Array;
  train: PairSplit;
  validation: PairSplit;
  /** Interactions per item before the validation window (decides which items get a residual). */
  itemInteractions: Int32Array;
  /** Distinct purchasers per item before the validation window (popularity for scoring). */
  itemBuyers: Int32Array;
  /** Interactions dropped because their item is not in the catalogue. */
  unknownItemInteractions: number;
  /** Start of the validation window in ms since epoch (== end of data when validationDays = 0). */
  validationStart: number;
}

const DAY_MS = 86_400_000;

/** The share of a young history's span the validation window takes when `validationDays` would take all of it. */
export const YOUNG_HISTORY_VALIDATION_SHARE = 0.2;

/**
 * Start of the validation window: `validationDays` before `now`, unless no basket comes before that (a shop
 * younger than the window, or a history sent all at once without its own timestamps) — then the last
 * YOUNG_HISTORY_VALIDATION_SHARE of the span from the first basket to `now`. Otherwise such a shop has nothing to
 * train on and every candidate is refused until its history outgrows the window. `validationDays` 0: no window.
 */
export function validationWindowStart(firstBasket: number, now: number, validationDays: number): number {
  const byDays = now - validationDays * DAY_MS;
  if (validationDays <= 0 || !Number.isFinite(firstBasket) || firstBasket < byDays) return byDays;
  return firstBasket + (now - firstBasket) * (1 - YOUNG_HISTORY_VALIDATION_SHARE);
}

/** Weight of one history item; exported so callers and tests share the exact formula. */
export function contextWeight(count: number, ageMs: number, eventWeight: number, halfLifeDays = 60): number {
  return Math.log1p(count) * Math.pow(2, -Math.max(0, ageMs) / (halfLifeDays * DAY_MS)) * eventWeight;
}

export function buildTrainingPairs(
  interactions: readonly Interaction[],
  itemIds: readonly string[],
  options: PairOptions = {},
): TrainingPairs {
  const halfLifeDays = options.halfLifeDays ?? 60;
  const purchaseMinWeight = options.purchaseMinWeight ?? 1;
  const contextMaxItems = options.contextMaxItems ?? Infinity;
  const itemIndex = new Map(itemIds.map((id, i) => [id, i]));
  const n = itemIds.length;

  let maxTime = -Infinity;
  for (const e of interactions) maxTime = Math.max(maxTime, e.timestamp.getTime());
  const now = options.now?.getTime() ?? (Number.isFinite(maxTime) ? maxTime + 1 : 0);
  let firstBasket = Infinity;
  for (const e of interactions) {
    const t = e.timestamp.getTime();
    if (t < now && (e.weight ?? 1) >= purchaseMinWeight && itemIndex.has(e.itemId))
      firstBasket = Math.min(firstBasket, t);
  }
  const validationStart = validationWindowStart(firstBasket, now, options.validationDays ?? 0);

  // Group event indices by user; keep input order as the tie-breaker so the result is deterministic.
  const byUser = new Map<string, number[]>();
  let unknownItemInteractions = 0;
  const itemOf = new Int32Array(interactions.length);
  interactions.forEach((e, idx) => {
    const item = itemIndex.get(e.itemId);
    if (item === undefined) {
      unknownItemInteractions++;
      itemOf[idx] = -1;
      return;
    }
    itemOf[idx] = item;
    const list = byUser.get(e.userId);
    if (list) list.push(idx);
    else byUser.set(e.userId, [idx]);
  });

  const itemInteractions = new Int32Array(n);
  const itemBuyers = new Int32Array(n);
  const ctxItems = new GrowableArray(Int32Array);
  const ctxWeights = new GrowableArray(Float32Array);
  const offsets = new GrowableArray(Int32Array);
  offsets.push(0);
  const basketTimes: number[] = [];
  const trainBasket = new GrowableArray(Int32Array);
  const trainTarget = new GrowableArray(Int32Array);
  const validBasket = new GrowableArray(Int32Array);
  const validTarget = new GrowableArray(Int32Array);

  // Per-item running state for the current user, reset through `touched` (no per-user allocation).
  const count = new Int32Array(n);
  const last = new Float64Array(n);
  const maxWeight = new Float32Array(n);
  const boughtMark = new Int32Array(n);
  let userMark = 0;
  const heaviest = new HeaviestItems();

  const users = [...byUser.keys()].sort();
  for (const user of users) {
    userMark++;
    const events = byUser.get(user) ?? [];
    events.sort((a, b) => interactions[a].timestamp.getTime() - interactions[b].timestamp.getTime() || a - b);

    // Baskets: purchases keyed by basketId, or by instant when there is none.
    const basketRows = new Map<string, number[]>();
    for (const idx of events) {
      const e = interactions[idx];
      const t = e.timestamp.getTime();
      if (t >= now) continue;
      const w = e.weight ?? 1;
      if (t < validationStart) {
        itemInteractions[itemOf[idx]]++;
        if (w >= purchaseMinWeight && boughtMark[itemOf[idx]] !== userMark) {
          boughtMark[itemOf[idx]] = userMark;
          itemBuyers[itemOf[idx]]++;
        }
      }
      if (w < purchaseMinWeight) continue;
      const key = e.basketId !== undefined ? `b:${e.basketId}` : `t:${t}`;
      const rows = basketRows.get(key);
      if (rows) rows.push(idx);
      else basketRows.set(key, [idx]);
    }
    const baskets = [...basketRows.entries()]
      .map(([key, rows]) => ({ key, rows, time: interactions[rows[0]].timestamp.getTime() }))
      .sort((a, b) => a.time - b.time || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

    const touched: number[] = [];
    let cursor = 0;
    for (const basket of baskets) {
      // Absorb every event strictly before the basket into the running history.
      while (cursor < events.length && interactions[events[cursor]].timestamp.getTime() < basket.time) {
        const idx = events[cursor++];
        const item = itemOf[idx];
        if (count[item] === 0) touched.push(item);
        count[item]++;
        last[item] = Math.max(last[item], interactions[idx].timestamp.getTime());
        maxWeight[item] = Math.max(maxWeight[item], interactions[idx].weight ?? 1);
      }
      if (touched.length === 0) continue;
      const isValidation = basket.time >= validationStart;
      const basketIndex = basketTimes.length;
      basketTimes.push(basket.time);
      if (touched.length <= contextMaxItems) {
        for (const item of touched) {
          ctxItems.push(item);
          ctxWeights.push(
            contextWeight(count[item], basket.time - last[item], maxWeight[item], halfLifeDays),
          );
        }
      } else {
        heaviest.take(touched, contextMaxItems, (item) =>
          contextWeight(count[item], basket.time - last[item], maxWeight[item], halfLifeDays),
        );
        for (let k = 0; k < heaviest.count; k++) {
          ctxItems.push(touched[heaviest.positions[k]]);
          ctxWeights.push(heaviest.weightAt(k));
        }
      }
      offsets.push(ctxItems.length);
      const seen = new Set<number>();
      for (const idx of basket.rows) {
        const item = itemOf[idx];
        if (seen.has(item)) continue;
        seen.add(item);
        (isValidation ? validBasket : trainBasket).push(basketIndex);
        (isValidation ? validTarget : trainTarget).push(item);
      }
    }
    for (const item of touched) {
      count[item] = 0;
      last[item] = 0;
      maxWeight[item] = 0;
    }
  }

  return {
    itemCount: n,
    contexts: { offsets: offsets.toArray(), items: ctxItems.toArray(), weights: ctxWeights.toArray() },
    basketTime: Float64Array.from(basketTimes),
    train: { basket: trainBasket.toArray(), target: trainTarget.toArray() },
    validation: { basket: validBasket.toArray(), target: validTarget.toArray() },
    itemInteractions,
    itemBuyers,
    unknownItemInteractions,
    validationStart,
  };
}

/**
 * The `k` heaviest of a history's items by position, in first-seen order, with scratch buffers reused across
 * baskets (a long history asks this once per basket).
 */
class HeaviestItems {
  positions: Int32Array = new Int32Array(0);
  count = 0;
  private weights = new Float64Array(0);

  take(items: readonly number[], k: number, weightOf: (item: number) => number): void {
    const n = items.length;
    if (this.weights.length < n) this.weights = new Float64Array(Math.max(n, this.weights.length * 2));
    for (let i = 0; i < n; i++) this.weights[i] = weightOf(items[i]);
    // Ties go to the lower position, the item seen first.
    this.positions = topIndicesInOrder(this.weights, n, k);
    this.count = this.positions.length;
  }

  weightAt(k: number): number {
    return this.weights[this.positions[k]];
  }
}

type TypedArray = Int32Array | Float32Array;
type TypedArrayConstructor<T extends TypedArray> = { new (length: number): T };

/** Append-only typed array with amortised doubling (a number[] of millions of entries costs 2–4× more). */
class GrowableArray<T extends TypedArray> {
  private data: T;
  length = 0;

  constructor(private readonly ctor: TypedArrayConstructor<T>) {
    this.data = new ctor(1024);
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const next = new this.ctor(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = value;
  }

  toArray(): T {
    return this.data.slice(0, this.length) as T;
  }
}
