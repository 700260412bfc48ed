import { useEffect, useState } from 'preact/hooks';
import { api, enc } from './api';
import type { Job } from './types';
import { asProblem } from './use-api';
import type { ApiProblem } from './api';

/**
 * The API has no job listing: the dashboard remembers (for this tab) the jobs it started, and follows each
 * through GET /v1/admin/jobs/:id.
 */
const KEY = 'aisle.jobs';

export interface TrackedJob {
  id: string;
  kind: string;
  startedHere: string;
}

export function trackedJobs(): TrackedJob[] {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) ?? '[]') as TrackedJob[];
  } catch {
    return [];
  }
}

export function trackJob(id: string, kind: string): void {
  const jobs = [
    { id, kind, startedHere: new Date().toISOString() },
    ...trackedJobs().filter((j) => j.id !== id),
  ];
  sessionStorage.setItem(KEY, JSON.stringify(jobs.slice(0, 20)));
}

const finished = (j: Job) => j.status === 'succeeded' || j.status === 'failed';

/** Polls a job once a second until it has finished. */
export function useJob(id: string | null, pollMs = 1000): { job: Job | null; problem: ApiProblem | null } {
  const [job, setJob] = useState<Job | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  useEffect(() => {
    setJob(null);
    setProblem(null);
    if (!id) return;
    let live = true;
    let timer: number | undefined;
    const poll = async () => {
      try {
        const j = await api<Job>(`/v1/admin/jobs/${enc(id)}`);
        if (!live) return;
        setJob(j);
        if (!finished(j)) timer = window.setTimeout(() => void poll(), pollMs);
      } catch (e) {
        if (live) setProblem(asProblem(e));
      }
    };
    void poll();
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [id, pollMs]);
  return { job, problem };
}
