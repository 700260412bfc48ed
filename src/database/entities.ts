import {
  AnalyticsDailyEntity,
  AnalyticsDailyUnpricedEntity,
  AnalyticsDayEntity,
  AnalyticsStaleEntity,
} from '../attribution/analytics-rollup.entity';
import { ServedListEntity } from '../attribution/served-list.entity';
import { ItemEntity } from '../catalog/item.entity';
import { CopurchaseBuildEntity } from '../copurchase/copurchase-build.entity';
import { ItemNeighbourEntity } from '../copurchase/item-neighbour.entity';
import { ItemTransitionEntity } from '../copurchase/item-transition.entity';
import { ItemEmbeddingEntity } from '../embeddings/item-embedding.entity';
import { EventEntity } from '../events/event.entity';
import { ExperimentEntity } from '../experiments/experiment.entity';
import { JobEntity } from '../jobs/job.entity';
import { PlacementEntity, PlacementRevisionEntity } from '../placements/placement.entity';
import { ModelBlendsEntity } from '../training/model-blends.entity';
import { ModelVersionEntity } from '../training/model-version.entity';

/** Every entity of the schema; the DataSource, the migration generator and the drift check share this list. */
export const ENTITIES = [
  ItemEntity,
  EventEntity,
  JobEntity,
  ItemEmbeddingEntity,
  ModelVersionEntity,
  ModelBlendsEntity,
  ItemNeighbourEntity,
  ItemTransitionEntity,
  CopurchaseBuildEntity,
  PlacementEntity,
  PlacementRevisionEntity,
  ServedListEntity,
  AnalyticsDayEntity,
  AnalyticsDailyEntity,
  AnalyticsDailyUnpricedEntity,
  AnalyticsStaleEntity,
  ExperimentEntity,
];
