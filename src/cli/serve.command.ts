import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { ItemsRepository } from '../catalog/items.repository';
import { createHttpApp } from '../http-app';
import { ImportService } from '../import/import.service';
import { takeOverShutdownSignals } from '../database/embedded-postgres';
import { openRuntime } from './context';
import { reportFailure } from './command-runner';
import { limitHeapGrowth } from '../common/heap-growth';
import { fixMallocMmapThreshold, returnFreePagesEvery, TRIM_EVERY_MS } from '../common/native-allocator';

/** The demo catalog `npm start` loads into an empty database (UCI Online Retail, CC BY 4.0; see data/). */
export const DEMO_FILE = path.resolve(
  __dirname,
  '..',
  '..',
  '..',
  'data',
  'online-retail',
  'online_retail.csv.gz',
);
const demoFile = () =>
  fs.existsSync(DEMO_FILE) ? DEMO_FILE : path.resolve('data', 'online-retail', 'online_retail.csv.gz');

async function serve(opts: { demo?: boolean }): Promise<void> {
  const rt = await openRuntime();
  // A server's RSS should follow what it holds, not V8's appetite for garbage (see heap-growth.ts).
  limitHeapGrowth(rt.config.heapGrowthPercent);
  // …nor glibc's habit of keeping freed index memory (see native-allocator.ts).
  const allocator = fixMallocMmapThreshold();
  returnFreePagesEvery(TRIM_EVERY_MS);
  rt.log(
    allocator.applied
      ? `native allocator: blocks of ${allocator.mmapThresholdBytes / 1024} KiB or more are mapped and returned on free`
      : `native allocator left as it is: ${allocator.reason}`,
  );
  const app = await createHttpApp(rt.config, rt.db.url);
  try {
    if (opts.demo) {
      const items = await app.get(ItemsRepository).countLive();
      if (items === 0) {
        rt.log(`empty database: loading the demo catalog and its purchase history from ${demoFile()}`);
        const s = await app.get(ImportService).onlineRetail(demoFile());
        rt.log(
          `demo loaded: ${s.items.upserted} items, ${s.events.accepted} events in ${s.seconds.toFixed(1)} s`,
        );
      }
    }
    await app.listen(rt.config.port, rt.config.host);
  } catch (e) {
    await app.close();
    await rt.db.stop();
    throw e;
  }
  rt.log(`aisle listening on http://${rt.config.host}:${rt.config.port} (docs at /docs)`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    rt.log(`${signal}: shutting down`);
    void app
      .close()
      .then(() => rt.db.stop())
      .finally(() => process.exit(0));
  };
  if (rt.db.embedded) takeOverShutdownSignals();
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

/** `aisle serve`: runs until a signal, so it prints no summary; a failure to start exits at once. */
export function serveCommand(): Command {
  return new Command('serve')
    .description('migrate, prepare what is missing and serve the HTTP API on PORT')
    .option('--demo', 'load the demo catalog and history when the database is empty')
    .action(async (opts: { demo?: boolean }) => {
      try {
        await serve(opts);
      } catch (e) {
        reportFailure(e, false);
        // Handles the half-started application may leave open must not keep the process alive.
        process.exit(1);
      }
    });
}
