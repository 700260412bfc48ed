import { ALPHA } from './run-experiment';
import type { Mode, ModeReport } from './simulation.types';

const fmtForecast = (n: number) => (Number.isFinite(n) ? String(Math.ceil(n)) : 'never (no difference)');
const fmt = (n: number | undefined) =>
  n === undefined ? 'never' : n === Infinity ? 'never (most orders)' : String(n);

/** The report a developer reads: the simulator's counts beside the server's, and what each test needed. */
export function formatSimulation(result: { modes: Partial<Record<Mode, ModeReport>> }): string {
  const lines: string[] = [];
  for (const [mode, r] of Object.entries(result.modes)) {
    lines.push(`${mode}: experiment ${r.experiment}, ${r.shoppers} shoppers`);
    lines.push('  variant    lists  users  clicks  conversions     revenue    (simulator | server)');
    const ids = Object.keys(r.own);
    for (const id of ids) {
      const a = r.own[id];
      const b = r.server[id];
      const cell = (x: number, y: number | undefined, w: number) => `${x} | ${y ?? '-'}`.padStart(w);
      lines.push(
        `  ${id.padEnd(8)} ${cell(a.lists, b?.lists, 14)} ${cell(a.users, b?.users, 12)} ${cell(a.clicks, b?.clicks, 12)} ${cell(
          a.conversions,
          b?.conversions,
          12,
        )} ${`${a.revenue.toFixed(2)} | ${b ? b.revenue.toFixed(2) : '-'}`.padStart(24)}`,
      );
    }
    if (r.interleaving)
      lines.push(
        `  interleaving: ${ids[1]} wins ${r.interleaving.server.wins}, losses ${r.interleaving.server.losses}, ties ${r.interleaving.server.ties} (sign test)`,
      );
    lines.push(
      `  counts match: ${r.countsMatch ? 'yes' : `NO (${r.mismatches.join('; ')})`}; p-value ${r.pValue?.toPrecision(3) ?? '-'}; ` +
        `shoppers needed for p < ${ALPHA}: ${fmt(r.shoppersNeeded)} in this order, median ${fmt(r.shoppersNeededMedian)} over random orders; ` +
        `forecast (50 % power, from this run's rates) ${fmtForecast(r.shoppersForecast)}`,
    );
  }
  const ab = result.modes.ab?.shoppersNeededMedian;
  const il = result.modes.interleave?.shoppersNeededMedian;
  if (ab !== undefined && il !== undefined && Number.isFinite(ab) && Number.isFinite(il))
    lines.push(`interleaving needed ${(il / ab).toFixed(3)} of the shoppers the A/B test needed (medians)`);
  const abF = result.modes.ab?.shoppersForecast;
  const ilF = result.modes.interleave?.shoppersForecast;
  if (abF !== undefined && ilF !== undefined && Number.isFinite(abF) && Number.isFinite(ilF))
    lines.push(`forecast: interleaving needs ${(ilF / abF).toFixed(3)} of the shoppers an A/B test needs`);
  return lines.join('\n');
}
