import type { ExperimentMode, VariantDefinition } from './dto/experiment.schema';
import type { DayAggregate, InterleavingOutcome, VariantAggregate } from './experiment-results.repository';
import { lift, mean, meanInterval, signTest, twoProportionZTest, type Sample } from './statistics';

export interface VariantResult {
  id: string;
  weight?: number;
  strategy?: string;
  modelVersion?: string;
  rules?: VariantDefinition['rules'];
  users: number;
  lists: number;
  itemsShown: number;
  clicks: number;
  clickedLists: number;
  ctr: number;
  ctrInterval: [number, number];
  conversions: number;
  conversionRate: number;
  conversionRateInterval: [number, number];
  revenue: number;
  revenuePerList: number;
  revenuePerListInterval: [number, number];
  lift?: number;
  pValue?: number;
}

export interface ExperimentResults {
  variants: VariantResult[];
  interleaving?: InterleavingOutcome & { pValue: number };
  series: DayAggregate[];
  /** Which test gives each p-value, in words. */
  method: string;
}

const EMPTY: Sample = { n: 0, sum: 0, sumSq: 0 };

export const AB_METHOD =
  "two-proportion z-test (pooled, two-sided) of each variant's clicks per list against the first variant's; " +
  '95 % normal intervals from the per-list spread';
export const INTERLEAVE_METHOD =
  'exact two-sided sign test (binomial, p = ½) over the lists whose clicks favoured one variant; ties and ' +
  'lists without clicks carry no sign';

/**
 * The response's figures from the SQL aggregates: per variant counts and rates with 95 % intervals, and
 * against the first variant (the control) the lift of CTR and, in an A/B test, its p-value. An interleaved
 * experiment's variants share every list, so their CTRs are not independent samples: its p-value is the
 * sign test's, in `interleaving`.
 */
export function buildResults(
  mode: ExperimentMode,
  variants: readonly VariantDefinition[],
  totals: readonly VariantAggregate[],
  days: DayAggregate[],
  outcome?: InterleavingOutcome,
): ExperimentResults {
  const byId = new Map(totals.map((t) => [t.variant, t]));
  const control = byId.get(variants[0].id);
  const results = variants.map((v, i): VariantResult => {
    const a = byId.get(v.id);
    const clicks = a?.clicks ?? EMPTY;
    const conversions = a?.conversions ?? EMPTY;
    const revenue = a?.revenue ?? EMPTY;
    const out: VariantResult = {
      id: v.id,
      ...(v.weight !== undefined ? { weight: v.weight } : {}),
      ...(v.strategy !== undefined ? { strategy: v.strategy } : {}),
      ...(v.modelVersion !== undefined ? { modelVersion: v.modelVersion } : {}),
      ...(v.rules !== undefined ? { rules: v.rules } : {}),
      users: a?.users ?? 0,
      lists: a?.lists ?? 0,
      itemsShown: a?.itemsShown ?? 0,
      clicks: clicks.sum,
      clickedLists: a?.clickedLists ?? 0,
      ctr: mean(clicks),
      ctrInterval: meanInterval(clicks),
      conversions: conversions.sum,
      conversionRate: mean(conversions),
      conversionRateInterval: meanInterval(conversions),
      revenue: revenue.sum,
      revenuePerList: mean(revenue),
      revenuePerListInterval: meanInterval(revenue),
    };
    if (i > 0) {
      const l = lift(control?.clicks ?? EMPTY, clicks);
      if (l !== undefined) out.lift = l;
      if (mode === 'ab') out.pValue = twoProportionZTest(control?.clicks ?? EMPTY, clicks).pValue;
    }
    return out;
  });
  return {
    variants: results,
    ...(outcome ? { interleaving: { ...outcome, pValue: signTest(outcome.wins, outcome.losses) } } : {}),
    series: days,
    method: mode === 'ab' ? AB_METHOD : INTERLEAVE_METHOD,
  };
}
