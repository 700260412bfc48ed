import { mulberry32 } from '../common/random';
import { signTest, twoProportionZTest, type Sample } from './statistics';

/** One A/B shopper: the variant they were served (0 control, 1 treatment) and the clicks on their list. */
export interface AbOutcome {
  variant: 0 | 1;
  clicks: number;
}

/** One interleaved list: +1 its clicks favoured the second variant, −1 the first, 0 neither (or no click). */
export type InterleaveOutcome = -1 | 0 | 1;

/**
 * How many shoppers, in this order, an experiment needed to show that the second variant beats the first:
 * the smallest n from which the test stays at p < alpha, with the second variant ahead, up to the last
 * shopper. Undefined when it is not so at the end. "Stays" rather than "first reaches": a test peeked at
 * after every shopper crosses any threshold early by chance; the run's end decides.
 */
export function abShoppersNeeded(outcomes: readonly AbOutcome[], alpha = 0.01): number | undefined {
  const s: [Sample, Sample] = [
    { n: 0, sum: 0, sumSq: 0 },
    { n: 0, sum: 0, sumSq: 0 },
  ];
  let needed: number | undefined;
  outcomes.forEach((o, i) => {
    const t = s[o.variant];
    t.n++;
    t.sum += o.clicks;
    t.sumSq += o.clicks * o.clicks;
    const { z, pValue } = twoProportionZTest(s[0], s[1]);
    if (z > 0 && pValue < alpha) needed ??= i + 1;
    else needed = undefined;
  });
  return needed;
}

/** As `abShoppersNeeded`, with the sign test over interleaved lists. */
export function interleaveShoppersNeeded(
  outcomes: readonly InterleaveOutcome[],
  alpha = 0.01,
): number | undefined {
  let wins = 0;
  let losses = 0;
  let needed: number | undefined;
  outcomes.forEach((o, i) => {
    if (o > 0) wins++;
    else if (o < 0) losses++;
    if (wins > losses && signTest(wins, losses) < alpha) needed ??= i + 1;
    else needed = undefined;
  });
  return needed;
}

/**
 * The median of `needed` over `orders` random orders of the same shoppers (seeded), so one lucky or unlucky
 * arrival order does not decide the comparison. Orders that never reach significance count as needing more
 * shoppers than there are (Infinity); the median is then Infinity when most do not.
 */
export function medianShoppersNeeded<T>(
  outcomes: readonly T[],
  needed: (ordered: readonly T[]) => number | undefined,
  orders = 200,
  seed = 1,
): number {
  const rand = mulberry32(seed);
  const values: number[] = [];
  const order = [...outcomes];
  for (let k = 0; k < orders; k++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    values.push(needed(order) ?? Infinity);
  }
  values.sort((a, b) => a - b);
  const mid = Math.floor(values.length / 2);
  return values.length % 2 === 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

/** 99.5 % quantile of the standard normal: a two-sided test at p < 0.01. */
const Z995 = 2.5758293035489004;

/**
 * The shoppers (both arms together, split evenly) at which an A/B z-test of per-shopper clicks is expected to
 * land exactly on p = alpha, given the per-shopper means and variances observed: the sample size of a test with
 * 50 % power, n = 2·z²·(σ₁² + σ₂²)/Δ² (each arm n/2 shoppers, se = √((σ₁² + σ₂²)/(n/2))). A forecast for
 * rankers too close for the run's shoppers to decide; Infinity when the arms do not differ.
 */
export function abShoppersForecast(control: Sample, treatment: Sample, z = Z995): number {
  const m = (s: Sample) => (s.n > 0 ? s.sum / s.n : 0);
  const v = (s: Sample) => (s.n > 0 ? Math.max(0, s.sumSq / s.n - m(s) ** 2) : 0);
  const delta = m(treatment) - m(control);
  if (delta === 0) return Infinity;
  return (2 * z * z * (v(control) + v(treatment))) / (delta * delta);
}

/**
 * The same for interleaving's sign test: with a share d of shoppers whose clicks pick a winner and a share q
 * of those won by the second variant, (wins − losses)/√decided has mean (2q − 1)·√decided, so p = alpha is
 * expected at decided = z²/(2q − 1)² lists with a winner, i.e. that over d shoppers. Normal approximation (the
 * exact test needs at least 8 decided lists for p < 0.01); Infinity when the variants tie.
 */
export function interleaveShoppersForecast(wins: number, losses: number, shoppers: number, z = Z995): number {
  const decided = wins + losses;
  if (decided === 0 || wins === losses) return Infinity;
  const q = wins / decided;
  const needDecided = Math.max(8, (z * z) / (2 * q - 1) ** 2);
  return needDecided / (decided / shoppers);
}
