import { useEffect } from 'preact/hooks';
import { fmtInt, fmtPct, fmtTime } from '../format';
import { useJob } from '../jobs';
import { ProblemBox } from './states';
import type { Job } from '../types';

/** One job: status, a progress bar, then its error. */
export function JobCard({ job }: { job: Job }) {
  const share = job.progress.total > 0 ? job.progress.done / job.progress.total : 0;
  return (
    <div class="job" data-testid={`job-${job.id}`} data-status={job.status}>
      <div class="row">
        <strong>{job.kind}</strong>
        <span class="badge">{job.status}</span>
        <progress
          max={Math.max(1, job.progress.total)}
          value={job.progress.done}
          aria-label={`${job.kind} job progress`}
        />
        <span data-testid="done-of-total">
          {fmtInt(job.progress.done)} / {fmtInt(job.progress.total)} ({fmtPct(share)})
        </span>
        <span class="muted">
          {job.startedAt ? `started ${fmtTime(job.startedAt)}` : 'waiting for a runner'}
          {job.finishedAt ? `, finished ${fmtTime(job.finishedAt)}` : ''}
        </span>
      </div>
      {job.error && (
        <div class="state error" role="alert">
          {job.error}
        </div>
      )}
    </div>
  );
}

/** One job, followed live until it finishes. */
export function JobProgress({ id, kind, onDone }: { id: string; kind: string; onDone?: (job: Job) => void }) {
  const { job, problem } = useJob(id);
  const status = job?.status;
  useEffect(() => {
    if (job && (status === 'succeeded' || status === 'failed')) onDone?.(job);
  }, [status]);
  if (problem) return <ProblemBox problem={problem} />;
  if (!job)
    return (
      <p class="muted">
        {kind} job {id.slice(0, 8)}: checking…
      </p>
    );
  return <JobCard job={job} />;
}
