import { SingleBar, Presets } from 'cli-progress';

export type ProgressFn = (phase: string, done: number, total: number) => void;

/**
 * A progress bar on a terminal, nothing otherwise (cron logs and --json output stay clean).
 * One bar per phase; a total of 0 means "unknown yet" and only the count is shown.
 */
export function terminalProgress(enabled: boolean): { update: ProgressFn; stop: () => void } {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  if (!process.stderr.isTTY) return lineProgress();
  let bar: SingleBar | undefined;
  let phase = '';
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    update: (p, done, total) => {
      if (p !== phase || !bar) {
        stop();
        phase = p;
        bar = new SingleBar(
          {
            format: `${p.padEnd(10)} [{bar}] {percentage}% {value}/{total} eta {eta_formatted}`,
            stream: process.stderr,
          },
          Presets.shades_classic,
        );
        bar.start(Math.max(total, 1), done);
      }
      if (total > 0) bar.setTotal(total);
      bar.update(done);
    },
    stop,
  };
}

/** Without a terminal (cron, CI logs): one line per phase and per 10 % step, on stderr. */
function lineProgress(): { update: ProgressFn; stop: () => void } {
  let phase = '';
  let lastTenth = -1;
  const started = Date.now();
  return {
    update: (p, done, total) => {
      const tenth = total > 0 ? Math.floor((done / total) * 10) : -1;
      if (p === phase && tenth === lastTenth) return;
      if (p === phase && total <= 0) return;
      phase = p;
      lastTenth = tenth;
      const pct = total > 0 ? ` ${tenth * 10}% (${done}/${total})` : '';
      process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${p}${pct}\n`);
    },
    stop: () => undefined,
  };
}
