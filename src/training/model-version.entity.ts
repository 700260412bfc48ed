import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export const MODEL_STATUSES = ['candidate', 'active', 'inactive', 'rejected'] as const;
export type ModelStatus = (typeof MODEL_STATUSES)[number];

/** A fine-tuned projection: its weights, the encoder it projects, its validation metrics and its state. */
@Entity({ name: 'model_versions' })
export class ModelVersionEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  version!: string;

  @Column({ name: 'encoder_id', type: 'varchar', length: 200 })
  encoderId!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: ModelStatus;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  metrics!: Record<string, unknown>;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  params!: Record<string, unknown>;

  @Column({ type: 'bytea', nullable: true })
  weights!: Buffer | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'activated_at', type: 'timestamptz', nullable: true })
  activatedAt!: Date | null;
}
