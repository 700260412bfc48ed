import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The model version blends are stored for when no fine-tuned version is active: the raw text vectors. */
export const RAW_MODEL = 'raw';

/**
 * Blends re-tuned for a model in service on a later validation window than its own (a nightly candidate lost the
 * gate): they replace the blends stored with the version while it serves.
 */
@Entity({ name: 'model_blends' })
export class ModelBlendsEntity {
  /** A model version, or RAW_MODEL. */
  @PrimaryColumn({ name: 'model_version', type: 'varchar', length: 64 })
  modelVersion!: string;

  /** The blends, as a version's params hold them (blend, discoveryBlend, similarBlend, sessionBlend). */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  params!: Record<string, unknown>;

  /** The validation NDCG@10 each blend was tuned to, and the candidate whose run tuned them. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  metrics!: Record<string, unknown>;

  @Column({ name: 'tuned_at', type: 'timestamptz', default: () => 'now()' })
  tunedAt!: Date;
}
