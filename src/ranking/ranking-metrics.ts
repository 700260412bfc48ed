export interface RankingMetrics {
  recall: number;
  ndcg: number;
  hit: number;
}

/** 0-based ranks of the distinct hits among the first `k` ids; a repeated id counts once, at its first rank. */
export function hitRanks(ranked: readonly string[], targets: ReadonlySet<string>, k: number): number[] {
  const ranks: number[] = [];
  const seen = new Set<string>();
  const limit = Math.min(k, ranked.length);
  for (let rank = 0; rank < limit; rank++) {
    const id = ranked[rank];
    if (seen.has(id)) continue;
    seen.add(id);
    if (targets.has(id)) ranks.push(rank);
  }
  return ranks;
}

/** DCG weight of 0-based rank r: 1 / log2((r + 1) + 1), i.e. rank 1 → 1. */
function gain(rank: number): number {
  return 1 / Math.log2(rank + 2);
}

export function recallAtK(ranked: readonly string[], targets: ReadonlySet<string>, k: number): number {
  if (targets.size === 0) return 0;
  return hitRanks(ranked, targets, k).length / targets.size;
}

export function hitRateAtK(ranked: readonly string[], targets: ReadonlySet<string>, k: number): number {
  return hitRanks(ranked, targets, k).length > 0 ? 1 : 0;
}

/** Binary relevance; the ideal list can hold at most min(k, |targets|) hits, so a 1-item basket can reach 1. */
export function ndcgAtK(ranked: readonly string[], targets: ReadonlySet<string>, k: number): number {
  const idealHits = Math.min(k, targets.size);
  if (idealHits === 0) return 0;
  let dcg = 0;
  for (const rank of hitRanks(ranked, targets, k)) dcg += gain(rank);
  let idcg = 0;
  for (let rank = 0; rank < idealHits; rank++) idcg += gain(rank);
  return dcg / idcg;
}

export function rankingMetrics(
  ranked: readonly string[],
  targets: ReadonlySet<string>,
  k: number,
): RankingMetrics {
  return {
    recall: recallAtK(ranked, targets, k),
    ndcg: ndcgAtK(ranked, targets, k),
    hit: hitRateAtK(ranked, targets, k),
  };
}

/** Sums per-user metrics and averages them at the end, so every test user weighs the same. */
export class MetricsAccumulator {
  private recall = 0;
  private ndcg = 0;
  private hit = 0;
  private users = 0;

  add(metrics: RankingMetrics): void {
    this.recall += metrics.recall;
    this.ndcg += metrics.ndcg;
    this.hit += metrics.hit;
    this.users++;
  }

  get count(): number {
    return this.users;
  }

  mean(): RankingMetrics {
    if (this.users === 0) return { recall: 0, ndcg: 0, hit: 0 };
    return { recall: this.recall / this.users, ndcg: this.ndcg / this.users, hit: this.hit / this.users };
  }
}

export function averageMetrics(perUser: readonly RankingMetrics[]): RankingMetrics {
  const accumulator = new MetricsAccumulator();
  for (const metrics of perUser) accumulator.add(metrics);
  return accumulator.mean();
}
