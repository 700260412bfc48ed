import binomialCdf from '@stdlib/stats-base-dists-binomial-cdf';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';

/**
 * The experiment statistics, as small pure functions so each can be checked by hand. The unit of analysis is
 * the served list: a list is one impression, and per list we know how many clicks, conversions and how much
 * revenue it earned. Lists of one variant are independent draws (each shopper is assigned once, by hash).
 */

/** Per-list values of one variant, summarised: how many lists, the sum and the sum of squares of the value. */
export interface Sample {
  n: number;
  sum: number;
  sumSq: number;
}

/** 97.5 % quantile of the standard normal: the half-width factor of a two-sided 95 % interval. */
export const Z95 = 1.959963984540054;

export function mean(s: Sample): number {
  return s.n > 0 ? s.sum / s.n : 0;
}

/** Population variance of the per-list values (divisor n): for 0/1 values it is p(1 − p). */
function variance(s: Sample): number {
  if (s.n === 0) return 0;
  const m = s.sum / s.n;
  return Math.max(0, s.sumSq / s.n - m * m);
}

/**
 * 95 % normal-approximation interval of the mean per list (e.g. CTR = clicks per list), clipped at 0 because
 * every value it is used for is non-negative. With at most one click per list this is the Wald interval of
 * a proportion, p ± 1.96·√(p(1 − p)/n); with several clicks per list the per-list variance takes their
 * spread into account, where the binomial formula would not.
 */
export function meanInterval(s: Sample, z = Z95): [number, number] {
  if (s.n === 0) return [0, 0];
  const m = mean(s);
  const half = z * Math.sqrt(variance(s) / s.n);
  return [Math.max(0, m - half), m + half];
}

/** Two-sided p-value of a standard normal statistic; Φ(−|z|) keeps precision in the far tail. */
export function twoSidedP(z: number): number {
  return Math.min(1, 2 * normalCdf(-Math.abs(z), 0, 1));
}

/**
 * Two-proportion z-test of the variant's CTR against the control's, with the pooled variance of H0 (both
 * variants share one rate): z = (m₂ − m₁) / √(s²·(1/n₁ + 1/n₂)), s² the variance of all lists around the
 * pooled mean. For 0/1 values s² = p̄(1 − p̄), the textbook two-proportion test; a list clicked several times
 * contributes its real spread instead of being forced into a proportion. Two-sided p-value.
 */
export function twoProportionZTest(control: Sample, variant: Sample): { z: number; pValue: number } {
  const n = control.n + variant.n;
  if (control.n === 0 || variant.n === 0) return { z: 0, pValue: 1 };
  const pooledMean = (control.sum + variant.sum) / n;
  const pooledVariance = Math.max(0, (control.sumSq + variant.sumSq) / n - pooledMean * pooledMean);
  const se = Math.sqrt(pooledVariance * (1 / control.n + 1 / variant.n));
  if (se === 0) return { z: 0, pValue: 1 };
  const z = (mean(variant) - mean(control)) / se;
  return { z, pValue: twoSidedP(z) };
}

/** Relative change of the variant's mean over the control's; undefined when the control's is 0. */
export function lift(control: Sample, variant: Sample): number | undefined {
  const c = mean(control);
  return c > 0 ? mean(variant) / c - 1 : undefined;
}

/**
 * Exact two-sided sign test (binomial, p = ½) of interleaving outcomes: under H0 a list's clicks favour
 * either variant with equal chance; ties carry no sign and are left out. p = min(1, 2·P(X ≤ min(w, l))),
 * X ~ Binomial(w + l, ½).
 */
export function signTest(wins: number, losses: number): number {
  const n = wins + losses;
  if (n === 0) return 1;
  return Math.min(1, 2 * binomialCdf(Math.min(wins, losses), n, 0.5));
}
