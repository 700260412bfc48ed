import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type AttributeValue = string | number | boolean;

@Entity({ name: 'items' })
@Index('items_available_from_idx', ['availableFrom'])
export class ItemEntity {
  @PrimaryColumn({ type: 'varchar', length: 128 })
  id!: string;

  @Column({ type: 'text' })
  title!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ type: 'text', nullable: true })
  category!: string | null;

  @Column({ type: 'text', nullable: true })
  brand!: string | null;

  @Column({ type: 'double precision', nullable: true })
  price!: number | null;

  @Column({ name: 'in_stock', type: 'boolean', default: true })
  inStock!: boolean;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  attributes!: Record<string, AttributeValue>;

  @Column({ name: 'image_url', type: 'text', nullable: true })
  imageUrl!: string | null;

  /**
   * When the product went on sale (api.md `availableFrom`; default: when the catalog first saw it). Not part of
   * the content hash: it changes no text, and a re-sent item that omits it keeps its date.
   */
  @Column({ name: 'available_from', type: 'timestamptz', default: () => 'now()' })
  availableFrom!: Date;

  /** sha256 of the canonical item content: an identical re-send is detected without comparing columns. */
  @Column({ name: 'content_hash', type: 'char', length: 64 })
  contentHash!: string;

  /** Soft delete: the row stays for history joins, but every reader filters it out. */
  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
