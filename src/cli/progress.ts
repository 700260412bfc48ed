import { SingleBar, Presets } from 'cli-progress';

export type ProgressFn = (phase: string, done: number, total: number) => void;

/**
 * A progress bar on a terminal, nothing otherwise (cron logs and --json output stay clean).
 * One bar per phase; a total of 0 means "unknown yet" and only the count is shown.
 */
export function terminalProgress(enabled: boolean): { update: ProgressFn; stop: () => void } {
  if (!enabled || !process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
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
