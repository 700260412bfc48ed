import { ItemEntity } from '../catalog/item.entity';
import { EventEntity } from '../events/event.entity';

/** Every entity of the schema; the DataSource, the migration generator and the drift check share this list. */
export const ENTITIES = [ItemEntity, EventEntity];
