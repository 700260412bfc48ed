import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

@Entity({ name: 'jobs' })
@Index('jobs_status_created_idx', ['status', 'createdAt'])
// At most one queued job per kind and parameters: identical requests coalesce into it (race-free, in PostgreSQL).
@Index('jobs_queued_dedupe_uq', ['kind', 'dedupeKey'], { unique: true, where: `"status" = 'queued'` })
export class JobEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 32 })
  kind!: string;

  @Column({ type: 'varchar', length: 16, default: 'queued' })
  status!: JobStatus;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  params!: Record<string, unknown>;

  /** The parameters in canonical form (sorted keys): equal keys are the same work. */
  @Column({ name: 'dedupe_key', type: 'text', nullable: true })
  dedupeKey!: string | null;

  @Column({ name: 'progress_done', type: 'integer', default: 0 })
  progressDone!: number;

  @Column({ name: 'progress_total', type: 'integer', default: 0 })
  progressTotal!: number;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ type: 'jsonb', nullable: true })
  result!: Record<string, unknown> | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;
}
