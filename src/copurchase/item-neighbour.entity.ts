import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One co-purchase neighbour of an item: the `rank`-th most similar other item (1 = most similar) by cosine on
 * the binary user×item purchase matrix. Written only by the co-purchase job, which replaces the whole table in
 * one transaction, so readers always see one complete computation.
 */
@Entity({ name: 'item_neighbours' })
export class ItemNeighbourEntity {
  @PrimaryColumn({ name: 'item_id', type: 'varchar', length: 128 })
  itemId!: string;

  @PrimaryColumn({ type: 'smallint' })
  rank!: number;

  @Column({ name: 'neighbour_id', type: 'varchar', length: 128 })
  neighbourId!: string;

  @Column({ type: 'real' })
  similarity!: number;
}
