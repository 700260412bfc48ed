import { useEffect, useState } from 'preact/hooks';
import { api, enc } from './api';
import type { Job } from './types';
import { asProblem } from './use-api';
import type { ApiProblem } from './api';

export const isFinished = (j: Job) => j.status === 'succeeded' || j.status === 'failed';

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
        if (!isFinished(j)) timer = window.setTimeout(() => void poll(), pollMs);
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

/** Asks again after this long while a job is queued or running (live progress), and after IDLE_MS otherwise. */
const ACTIVE_MS = 1000;
const IDLE_MS = 5000;

/**
 * The newest jobs (GET /v1/admin/jobs), whoever started them: polled every second while one is queued or
 * running, every five seconds otherwise, so a job started elsewhere (a cron, the CLI, another tab) shows up.
 */
export function useJobList(limit = 10): { jobs: Job[] | null; problem: ApiProblem | null } {
  const [jobs, setJobs] = useState<Job[] | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  useEffect(() => {
    let live = true;
    let timer: number | undefined;
    const poll = async () => {
      let next = IDLE_MS;
      try {
        const r = await api<{ jobs: Job[] }>(`/v1/admin/jobs?limit=${limit}`);
        if (!live) return;
        setJobs(r.jobs);
        setProblem(null);
        if (r.jobs.some((j) => !isFinished(j))) next = ACTIVE_MS;
      } catch (e) {
        if (!live) return;
        setProblem(asProblem(e));
      }
      timer = window.setTimeout(() => void poll(), next);
    };
    void poll();
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [limit]);
  return { jobs, problem };
}
