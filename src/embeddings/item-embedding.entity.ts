import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One text vector per (item, encoder, text): a change of encoder or of the item's text makes a new row,
 * so unchanged text is never embedded twice and vectors of different encoders never mix.
 */
@Entity({ name: 'item_embeddings' })
@Index('item_embeddings_encoder_idx', ['encoderId'])
export class ItemEmbeddingEntity {
  @PrimaryColumn({ name: 'item_id', type: 'varchar', length: 128 })
  itemId!: string;

  @PrimaryColumn({ name: 'encoder_id', type: 'varchar', length: 200 })
  encoderId!: string;

  @PrimaryColumn({ name: 'text_hash', type: 'char', length: 64 })
  textHash!: string;

  @Column({ type: 'integer' })
  dimension!: number;

  /** float32 little-endian, `dimension` values. */
  @Column({ type: 'bytea' })
  vector!: Buffer;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
