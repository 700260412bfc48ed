import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { tryLock } from '../database/advisory-lock';
import { jobKindLock } from '../database/locks';
import type { JobStatus } from './job.entity';

export interface Job {
  id: string;
  kind: string;
  status: JobStatus;
  params: Record<string, unknown>;
  progress: { done: number; total: number };
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error?: string;
  result?: Record<string, unknown>;
}

interface JobRow {
  id: string;
  kind: string;
  status: JobStatus;
  params: Record<string, unknown>;
  progress_done: number;
  progress_total: number;
  error: string | null;
  result: Record<string, unknown> | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

const toJob = (r: JobRow): Job => ({
  id: r.id,
  kind: r.kind,
  status: r.status,
  params: r.params,
  progress: { done: r.progress_done, total: r.progress_total },
  createdAt: r.created_at.toISOString(),
  startedAt: r.started_at?.toISOString() ?? null,
  finishedAt: r.finished_at?.toISOString() ?? null,
  ...(r.error ? { error: r.error } : {}),
  ...(r.result ? { result: r.result } : {}),
});

/** JSON with object keys sorted at every level: `{a, b}` and `{b, a}` are the same parameters. */
export function canonicalParams(params: Record<string, unknown>): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
          )
        : v;
  return JSON.stringify(sort(params));
}

@Injectable()
export class JobsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Queues a job, or returns the one already queued with the same kind and parameters. The partial unique
   * index on (kind, dedupe_key) WHERE status = 'queued' makes this race-free across requests and replicas;
   * the loop covers the queued twin being claimed between the refused insert and the read.
   */
  async enqueue(kind: string, params: Record<string, unknown>): Promise<{ job: Job; created: boolean }> {
    const key = canonicalParams(params);
    for (;;) {
      const inserted: JobRow[] = await this.db.query(
        `INSERT INTO jobs (kind, params, dedupe_key) VALUES ($1, $2::jsonb, $3)
         ON CONFLICT (kind, dedupe_key) WHERE status = 'queued' DO NOTHING RETURNING *`,
        [kind, key, key],
      );
      if (inserted[0]) return { job: toJob(inserted[0]), created: true };
      const queued: JobRow[] = await this.db.query(
        `SELECT * FROM jobs WHERE kind = $1 AND dedupe_key = $2 AND status = 'queued'`,
        [kind, key],
      );
      if (queued[0]) return { job: toJob(queued[0]), created: false };
    }
  }

  async find(id: string): Promise<Job | null> {
    const rows: JobRow[] = await this.db.query(`SELECT * FROM jobs WHERE id = $1`, [id]);
    return rows[0] ? toJob(rows[0]) : null;
  }

  /** The newest jobs first, of the given statuses (any when none is given). */
  async list(statuses: readonly JobStatus[] | undefined, limit: number): Promise<Job[]> {
    const rows: JobRow[] = await this.db.query(
      `SELECT * FROM jobs WHERE ($1::text[] IS NULL OR status = ANY($1::text[]))
       ORDER BY created_at DESC, id DESC LIMIT $2`,
      [statuses && statuses.length > 0 ? statuses : null, limit],
    );
    return rows.map(toJob);
  }

  /** When the last successful job of this kind started and finished, or undefined when none has. */
  async lastSucceeded(kind: string): Promise<{ startedAt: Date; finishedAt: Date } | undefined> {
    const rows: Array<{ started_at: Date; finished_at: Date }> = await this.db.query(
      `SELECT started_at, finished_at FROM jobs
        WHERE kind = $1 AND status = 'succeeded' AND started_at IS NOT NULL AND finished_at IS NOT NULL
        ORDER BY finished_at DESC LIMIT 1`,
      [kind],
    );
    return rows[0] ? { startedAt: rows[0].started_at, finishedAt: rows[0].finished_at } : undefined;
  }

  async hasQueued(kind: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `SELECT 1 FROM jobs WHERE kind = $1 AND status = 'queued' LIMIT 1`,
      [kind],
    );
    return rows.length > 0;
  }

  async progress(id: string, done: number, total: number): Promise<void> {
    await this.db.query(`UPDATE jobs SET progress_done = $2, progress_total = $3 WHERE id = $1`, [
      id,
      done,
      total,
    ]);
  }

  async finish(
    id: string,
    status: 'succeeded' | 'failed',
    result: Record<string, unknown> | null,
    error: string | null,
  ) {
    await this.db.query(
      `UPDATE jobs SET status = $2, result = $3::jsonb, error = $4, finished_at = now() WHERE id = $1`,
      [id, status, result === null ? null : JSON.stringify(result), error],
    );
  }

  /**
   * Marks `running` jobs failed when nobody holds their kind's advisory lock: their runner died (kill -9,
   * crash). A live runner on another replica holds the lock, so its job is left alone.
   */
  async failOrphans(): Promise<number> {
    const running: Array<{ id: string; kind: string }> = await this.db.query(
      `SELECT id, kind FROM jobs WHERE status = 'running'`,
    );
    let failed = 0;
    for (const j of running) {
      // Free lock: no process is running this kind, so the row is an orphan of one that stopped.
      const outcome = await tryLock(this.db, jobKindLock(j.kind), () =>
        this.db.query(
          `UPDATE jobs SET status = 'failed', error = 'interrupted: the process running this job stopped before it finished', finished_at = now()
           WHERE id = $1 AND status = 'running'`,
          [j.id],
        ),
      );
      if (outcome.held) failed += 1;
    }
    return failed;
  }
}
