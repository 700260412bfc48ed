import { rebuildWaitMs } from './copurchase.job';

describe('rebuildWaitMs (triggered co-purchase rebuilds)', () => {
  const run = (startedAt: string, finishedAt: string) => ({
    startedAt: new Date(startedAt),
    finishedAt: new Date(finishedAt),
  });
  const at = (iso: string) => new Date(iso).getTime();

  it('waits until the job has been idle nine times as long as it last ran (busy a tenth of the time)', () => {
    // A 2-minute build that ended at 10:02 may run again at 10:20.
    const last = run('2026-01-01T10:00:00Z', '2026-01-01T10:02:00Z');
    expect(rebuildWaitMs(last, at('2026-01-01T10:02:00Z'), 0.1)).toBe(18 * 60_000);
    expect(rebuildWaitMs(last, at('2026-01-01T10:15:00Z'), 0.1)).toBe(5 * 60_000);
    expect(rebuildWaitMs(last, at('2026-01-01T10:20:00Z'), 0.1)).toBe(0);
    expect(rebuildWaitMs(last, at('2026-01-01T11:00:00Z'), 0.1)).toBe(0);
  });

  it('never waits without a previous run, and at a share of one half it waits as long as the run took; at one, never', () => {
    expect(rebuildWaitMs(undefined, at('2026-01-01T10:00:00Z'), 0.1)).toBe(0);
    const last = run('2026-01-01T10:00:00Z', '2026-01-01T10:00:10Z');
    expect(rebuildWaitMs(last, at('2026-01-01T10:00:10Z'), 0.5)).toBe(10_000);
    expect(rebuildWaitMs(last, at('2026-01-01T10:00:10Z'), 1)).toBe(0);
  });
});
