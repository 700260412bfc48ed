import {
  AllocatorEnvironment,
  fixMallocMmapThreshold,
  MMAP_THRESHOLD_BYTES,
  returnFreePagesEvery,
} from './native-allocator';

const glibc: AllocatorEnvironment = { platform: 'linux', glibcVersion: '2.36', env: {} };

function recorder(result: number | Error) {
  const calls: Array<[number, number]> = [];
  const mallopt = () => (param: number, value: number) => {
    calls.push([param, value]);
    if (result instanceof Error) throw result;
    return result;
  };
  return { calls, mallopt };
}

describe('fixMallocMmapThreshold', () => {
  it('fixes glibc mmap threshold (M_MMAP_THRESHOLD = -3) at 128 KiB', () => {
    const r = recorder(1);
    expect(fixMallocMmapThreshold(glibc, r.mallopt)).toEqual({ applied: true, mmapThresholdBytes: 131072 });
    expect(r.calls).toEqual([[-3, MMAP_THRESHOLD_BYTES]]);
  });

  it('leaves other C libraries alone without loading anything', () => {
    const r = recorder(1);
    expect(fixMallocMmapThreshold({ ...glibc, glibcVersion: undefined }, r.mallopt).applied).toBe(false);
    expect(fixMallocMmapThreshold({ ...glibc, platform: 'darwin' }, r.mallopt).applied).toBe(false);
    expect(r.calls).toEqual([]);
  });

  it("keeps the operator's own MALLOC_MMAP_THRESHOLD_", () => {
    const r = recorder(1);
    const out = fixMallocMmapThreshold({ ...glibc, env: { MALLOC_MMAP_THRESHOLD_: '65536' } }, r.mallopt);
    expect(out).toEqual({ applied: false, reason: expect.stringContaining('MALLOC_MMAP_THRESHOLD_') });
    expect(r.calls).toEqual([]);
  });

  it('reports a refusal or a failed call instead of throwing', () => {
    expect(fixMallocMmapThreshold(glibc, recorder(0).mallopt)).toEqual({
      applied: false,
      reason: 'mallopt refused the threshold',
    });
    expect(fixMallocMmapThreshold(glibc, recorder(new Error('no libc.so.6')).mallopt)).toEqual({
      applied: false,
      reason: 'mallopt could not be called: no libc.so.6',
    });
  });
});

describe('returnFreePagesEvery', () => {
  it('schedules nothing off glibc', () => {
    expect(returnFreePagesEvery(1000, { ...glibc, platform: 'darwin' })).toBeUndefined();
  });

  // The suite runs on Linux with glibc (as CI does): there the call is real.
  it('trims on glibc without keeping the process alive', () => {
    const timer = returnFreePagesEvery(1000)!;
    expect(timer.hasRef()).toBe(false);
    clearInterval(timer);
  });
});
