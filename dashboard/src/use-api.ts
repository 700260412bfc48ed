import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiProblem } from './api';

export type Loaded<T> =
  | { state: 'idle' }
  | { state: 'loading' }
  | { state: 'ok'; data: T }
  | { state: 'error'; problem: ApiProblem };

const asProblem = (e: unknown): ApiProblem =>
  e instanceof ApiProblem ? e : new ApiProblem(0, e instanceof Error ? e.message : String(e), 'Error');

/** Runs `load` whenever `deps` change (nothing when `load` is null); stale answers are dropped. */
export function useLoad<T>(load: (() => Promise<T>) | null, deps: unknown[]): Loaded<T> & { reload(): void } {
  const [result, setResult] = useState<Loaded<T>>(load ? { state: 'loading' } : { state: 'idle' });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!load) {
      setResult({ state: 'idle' });
      return;
    }
    let live = true;
    setResult((r) => (r.state === 'ok' ? r : { state: 'loading' }));
    load().then(
      (data) => live && setResult({ state: 'ok', data }),
      (e: unknown) => live && setResult({ state: 'error', problem: asProblem(e) }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...result, reload };
}

export { asProblem };
