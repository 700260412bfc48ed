import { Injectable, Logger } from '@nestjs/common';
import { TRENDING_DAYS, trendingWindowEnd } from '../ranking/purchase-signals';

/**
 * The shop's time, for what is counted back from "now" over its sales: trending and `GET /v1/popular?days=`.
 * While the shop sells within the trending window it is the request's clock. When
 * its latest learned event is older than that (a history replayed into a server years later, a shop closed for
 * the season), it is just after that event (trendingWindowEnd): the windows are the history's own last days, as
 * the fine-tune saw them when it tuned the blends, rather than empty days before the clock. Set by each count of
 * the purchase signals (PurchaseSignalsService), so every process finds the same from the same events.
 */
@Injectable()
export class ShopClock {
  private readonly logger = new Logger('ShopClock');
  /** Where the last count's window ended when that was before its clock; undefined while the shop sells. */
  private anchor: number | undefined;

  /**
   * Records a count as of `asOfMs` whose latest learned event before it was at `latestMs` (undefined: none), and
   * returns where its trending window ends.
   */
  counted(asOfMs: number, latestMs: number | undefined): number {
    const end = trendingWindowEnd(asOfMs, latestMs);
    const anchor = end < asOfMs ? end : undefined;
    if ((anchor === undefined) !== (this.anchor === undefined))
      this.logger.log(
        anchor !== undefined
          ? `the latest learned event (${new Date(latestMs!).toISOString()}) is more than ${TRENDING_DAYS} days ` +
              'old: trending and popular windows are counted as of it'
          : 'trending and popular windows are counted as of now',
      );
    this.anchor = anchor;
    return end;
  }

  /** The shop's time when the clock reads `nowMs`. */
  at(nowMs: number): number {
    return this.anchor !== undefined && this.anchor < nowMs ? this.anchor : nowMs;
  }

  /** Where the shop's time stands still (its history's end), or undefined while it follows the clock. */
  get anchoredAt(): Date | undefined {
    return this.anchor === undefined ? undefined : new Date(this.anchor);
  }
}
