/**
 * The linear blend every kind of list ranks by (personalised: blend.ts, session: session-ranking.ts, similar:
 * similar-ranking.ts): score(slot) = Σ_key weights[key] · columns[key][slot], summed in the order of `keys`.
 * Each kind names its weights and its feature columns by the same keys. The order of the keys is the order of
 * the additions, and floating-point addition is not associative: it fixes every score to the last bit, so a
 * kind's key list is written once, in the order of its formula, and both functions below add in that order.
 */

/** A candidate set's feature columns (one entry per candidate slot), named by the weight each is multiplied by. */
export type FeatureColumns<K extends string> = { readonly [P in K]: ArrayLike<number> };

/** The weights of a blend, by key. */
export type BlendOf<K extends string> = { readonly [P in K]: number };

/** The blend score of one slot. `keys` must not be empty. */
export function blendScore<K extends string>(
  columns: FeatureColumns<K>,
  weights: BlendOf<K>,
  keys: readonly K[],
  slot: number,
): number {
  let s = weights[keys[0]] * columns[keys[0]][slot];
  for (let j = 1; j < keys.length; j++) s += weights[keys[j]] * columns[keys[j]][slot];
  return s;
}

/**
 * The blend scores of slots 0…size−1 into `out`, one column at a time (a tight loop per feature, read once per
 * key): each slot's sum is added up in the same order as blendScore's, so the two agree to the bit.
 */
export function blendScores<K extends string>(
  columns: FeatureColumns<K>,
  weights: BlendOf<K>,
  keys: readonly K[],
  size: number,
  out: Float64Array,
): Float64Array {
  const first = columns[keys[0]];
  const w0 = weights[keys[0]];
  for (let i = 0; i < size; i++) out[i] = w0 * first[i];
  for (let j = 1; j < keys.length; j++) {
    const column = columns[keys[j]];
    const w = weights[keys[j]];
    for (let i = 0; i < size; i++) out[i] += w * column[i];
  }
  return out;
}

/**
 * Weights stored with a model version (JSON), read back: each key's finite number, 0 for a key stored without
 * one (a version stored before that weight existed did not use it); nothing stored at all: `fallback`.
 */
export function storedWeights<K extends string>(
  stored: unknown,
  keys: readonly K[],
  fallback: BlendOf<K>,
): BlendOf<K> {
  if (!stored || typeof stored !== 'object') return fallback;
  const w = stored as Partial<Record<K, unknown>>;
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
  return Object.fromEntries(keys.map((k) => [k, num(w[k])])) as BlendOf<K>;
}
