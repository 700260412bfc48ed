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
