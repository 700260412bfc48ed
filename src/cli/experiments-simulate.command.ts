import { Command } from 'commander';
import { DEFAULT_CUTOFF } from '../evaluation/evaluation-split';
import { ReportedSummary, runCommand } from './command-runner';
import { terminalProgress } from './progress';
import { simulate } from './simulate/simulation';
import { formatSimulation } from './simulate/simulation-report';
import type { Mode } from './simulate/simulation.types';
import { DEFAULT_VARIANTS, parseVariant } from './simulate/variants';

/** `aisle experiments:simulate`: Online Retail's held-out baskets replayed as shoppers against a running server. */
export function experimentsSimulateCommand(): Command {
  return new Command('experiments:simulate')
    .description(
      'replay the Online Retail held-out baskets as shoppers against a running server: an A/B test and an ' +
        'interleaving test of the engine against the popular list, counted by the simulator and by the server',
    )
    .requiredOption('--url <url>', 'the running server, e.g. http://127.0.0.1:3000')
    .requiredOption('--online-retail <file>', 'the UCI Online Retail file (.csv or .csv.gz)')
    .option('--api-key <key>', 'a key with read, write and admin scopes (when the server has keys)')
    .option('--seed', 'first load the catalog and the pre-cutoff history, moved so the cutoff is today')
    .option('--no-finetune', 'with --seed: skip the fine-tune (the engine ranks with raw text vectors)')
    .option('--cutoff <date>', 'split date (default 2011-11-01, the evaluation protocol)')
    .option('--shoppers <n>', 'replay only the first n shoppers (default: every test user)')
    .option('--mode <mode>', 'ab, interleave or both', 'both')
    .option('--placement <id>', 'the placement to create and experiment on', 'sim-for-you')
    .option('--discovery', "the placement leaves out the shopper's past purchases (excludePurchased)")
    .option('--order-seed <n>', "seed of the shoppers' order", '1')
    .option('--orders <n>', 'random orders the median of "shoppers needed" is taken over', '200')
    .option('--concurrency <n>', 'shoppers in flight at once', '4')
    .option('--control <json>', 'the control variant as JSON (default {"id":"popular","strategy":"popular"})')
    .option('--treatment <json>', 'the treatment variant as JSON (default {"id":"engine"})')
    .option('--json', 'print the result as one JSON line last')
    .action(
      (o: {
        url: string;
        onlineRetail: string;
        apiKey?: string;
        seed?: boolean;
        finetune: boolean;
        cutoff?: string;
        shoppers?: string;
        mode: string;
        placement: string;
        discovery?: boolean;
        orderSeed: string;
        orders: string;
        concurrency: string;
        control?: string;
        treatment?: string;
        json?: boolean;
      }) =>
        runCommand(!!o.json, async () => {
          const int = (name: string, v: string | undefined, min: number) => {
            if (v === undefined) return undefined;
            const n = Number(v);
            if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number ≥ ${min}`);
            return n;
          };
          const cutoff = o.cutoff
            ? new Date(o.cutoff.length === 10 ? `${o.cutoff}T00:00:00Z` : o.cutoff)
            : DEFAULT_CUTOFF;
          if (Number.isNaN(cutoff.getTime())) throw new Error('--cutoff must be a date like 2011-11-01');
          if (!['ab', 'interleave', 'both'].includes(o.mode))
            throw new Error('--mode must be ab, interleave or both');
          const bar = terminalProgress(true);
          const result = await simulate({
            url: o.url,
            apiKey: o.apiKey,
            file: o.onlineRetail,
            cutoff,
            seed: !!o.seed,
            finetune: o.finetune,
            shoppers: int('shoppers', o.shoppers, 1),
            modes: o.mode === 'both' ? ['ab', 'interleave'] : [o.mode as Mode],
            placement: o.placement,
            discovery: !!o.discovery,
            orderSeed: int('order-seed', o.orderSeed, 0)!,
            orders: int('orders', o.orders, 1)!,
            concurrency: int('concurrency', o.concurrency, 1)!,
            variants: [
              o.control ? parseVariant('control', o.control) : DEFAULT_VARIANTS[0],
              o.treatment ? parseVariant('treatment', o.treatment) : DEFAULT_VARIANTS[1],
            ],
            progress: bar.update,
          }).finally(bar.stop);
          const report = formatSimulation(result);
          const bad = Object.values(result.modes).filter((m) => !m.countsMatch);
          if (bad.length > 0) {
            process.stdout.write(`${report}\n`);
            throw new Error(
              `the server's counts differ from the simulator's: ${bad.flatMap((m) => m.mismatches).join('; ')}`,
            );
          }
          return new ReportedSummary(
            report,
            JSON.parse(JSON.stringify(result, (_k, v: unknown) => (v === Infinity ? null : v))) as Record<
              string,
              unknown
            >,
          );
        }),
    );
}
