import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One learned successor of an item: the `rank`-th most likely item (1 = most likely) in a shopper's next
 * basket after a basket holding `item_id`. Written by the co-purchase job together with the neighbours, in
 * the same transaction, so both always come from one computation.
 */
@Entity({ name: 'item_transitions' })
export class ItemTransitionEntity {
  @PrimaryColumn({ name: 'item_id', type: 'varchar', length: 128 })
  itemId!: string;

  @PrimaryColumn({ type: 'smallint' })
  rank!: number;

  @Column({ name: 'next_id', type: 'varchar', length: 128 })
  nextId!: string;

  @Column({ type: 'real' })
  probability!: number;
}
