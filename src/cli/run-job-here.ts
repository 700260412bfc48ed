import { JobsService } from '../jobs/jobs.service';
import type { ProgressFn } from './progress';

/**
 * Queues a job and runs it in this process. A server replica may claim it first (it polls the same queue):
 * then this waits for that run and reports its outcome, so the command's exit code is right either way.
 */
export async function runJobHere(
  jobs: JobsService,
  kind: string,
  params: Record<string, unknown>,
  progress: ProgressFn,
): Promise<Record<string, unknown>> {
  const job = await jobs.enqueue(kind, params);
  let done = await jobs.runNext(job.id, (d, t) => progress(kind, d, t));
  while (!done || done.status === 'queued' || done.status === 'running') {
    await new Promise((r) => setTimeout(r, 1000));
    done = await jobs.get(job.id);
    if (done) progress(kind, done.progress.done, done.progress.total);
  }
  if (done.status !== 'succeeded') throw new Error(done.error ?? `${kind} failed`);
  return { jobId: done.id, ...done.result };
}
