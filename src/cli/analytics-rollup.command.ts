import { Command } from 'commander';
import { AnalyticsRollups } from '../attribution/analytics-rollups';
import { runCommand, withAppContext } from './command-runner';

/**
 * `aisle analytics:rollup`: brings the daily analytics rollups up to date in this process (what every server
 * does every ANALYTICS_ROLLUP_INTERVAL_MS), e.g. right after importing a year of served lists.
 */
export function analyticsRollupCommand(): Command {
  return new Command('analytics:rollup')
    .description('compute the daily analytics rollups of closed days that are missing or were touched since')
    .option('--json', 'print a one-line JSON summary last')
    .action((opts: { json?: boolean }) =>
      runCommand(!!opts.json, () =>
        withAppContext(async (ctx) => {
          const started = Date.now();
          const result = await ctx.get(AnalyticsRollups).refresh();
          if (!result) throw new Error('another process is updating the analytics rollups; try again later');
          return { ...result, seconds: (Date.now() - started) / 1000 };
        }),
      ),
    );
}
