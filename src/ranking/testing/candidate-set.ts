import type { CandidateSet } from '../candidates';

type Features = Partial<
  Record<'cos' | 'logPop' | 'logTrend' | 'knn' | 'repeat' | 'reorder' | 'purchases', number[]>
> & {
  isNew?: number[];
  knnVia?: Array<string | undefined>;
};

/** A candidate set written out by hand, for specs of the blend, the ranking and the tuning. */
export function candidateSet(ids: string[], f: Features = {}): CandidateSet {
  const col = (xs?: number[]) => Float64Array.from(ids, (_, i) => xs?.[i] ?? 0);
  return {
    size: ids.length,
    ids,
    cos: col(f.cos),
    logPop: col(f.logPop),
    logTrend: col(f.logTrend),
    knn: col(f.knn),
    knnVia: ids.map((_, i) => f.knnVia?.[i]),
    repeat: col(f.repeat),
    reorder: col(f.reorder),
    purchases: col(f.purchases),
    isNew: Uint8Array.from(ids, (_, i) => f.isNew?.[i] ?? 0),
    profile: undefined,
    contributions: [],
  };
}
