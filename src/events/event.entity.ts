import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const EVENT_TYPES = ['view', 'add_to_cart', 'purchase', 'rating'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

@Entity({ name: 'events' })
@Index('events_user_time_idx', ['userId', 'occurredAt'])
@Index('events_item_idx', ['itemId'])
@Index('events_time_idx', ['occurredAt'])
@Index('events_recomm_idx', ['recommId'], { where: 'recomm_id IS NOT NULL' })
// Purchases that may be estimated conversions, by time: analytics look them up a day or two at a time.
@Index('events_unattributed_purchase_time_idx', ['occurredAt'], {
  where: "type = 'purchase' AND recomm_id IS NULL",
})
// The rarer, stronger event types: which of them a shop has sent (LEARN_FROM=auto) without scanning its views.
@Index('events_strong_type_idx', ['type'], { where: "type <> 'view'" })
export class EventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  /** Client idempotency key; NULLs do not collide, so events without one are always stored. */
  @Index('events_event_id_key', { unique: true })
  @Column({ name: 'event_id', type: 'varchar', length: 128, nullable: true })
  eventId!: string | null;

  @Column({ name: 'user_id', type: 'varchar', length: 128 })
  userId!: string;

  @Column({ name: 'item_id', type: 'varchar', length: 128 })
  itemId!: string;

  @Column({ type: 'varchar', length: 16 })
  type!: EventType;

  @Column({ type: 'double precision', nullable: true })
  value!: number | null;

  @Column({ name: 'session_id', type: 'varchar', length: 128, nullable: true })
  sessionId!: string | null;

  /** The served list this interaction came from (attribution); unknown ids are kept but counted nowhere. */
  @Column({ name: 'recomm_id', type: 'varchar', length: 64, nullable: true })
  recommId!: string | null;

  /** 1-based place of the item in that list, as the client reports it. */
  @Column({ type: 'integer', nullable: true })
  position!: number | null;

  /** Unit price paid, when the client knows it; revenue falls back to the item's price. */
  @Column({ type: 'double precision', nullable: true })
  price!: number | null;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt!: Date;
}
