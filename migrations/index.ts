import { InitCatalogEvents1795839904205 } from './1795839904205-InitCatalogEvents';
import { AddJobsEmbeddingsModels1795840308243 } from './1795840308243-AddJobsEmbeddingsModels';
import { AddItemNeighbours1795849546611 } from './1795849546611-AddItemNeighbours';
import { AddChangeFeedTriggers1795900000000 } from './1795900000000-AddChangeFeedTriggers';
import { AddJobDedupe1796039197850 } from './1796039197850-AddJobDedupe';
import { AddPlacements1796040119173 } from './1796040119173-AddPlacements';
import { AddServedListsAttribution1796044407743 } from './1796044407743-AddServedListsAttribution';
import { AddItemTransitions1796100000000 } from './1796100000000-AddItemTransitions';
import { AddItemAvailableFrom1796227769990 } from './1796227769990-AddItemAvailableFrom';
import { AddAnalyticsRollups1796247315862 } from './1796247315862-AddAnalyticsRollups';
import { AddExperiments1796247318529 } from './1796247318529-AddExperiments';
import { AddEventsStrongTypeIndex1796400000000 } from './1796400000000-AddEventsStrongTypeIndex';
import { NotifyDeletedItems1796500000000 } from './1796500000000-NotifyDeletedItems';
import { AddModelBlends1796600000000 } from './1796600000000-AddModelBlends';

/**
 * The ordered list of migrations. Explicit imports (not a glob) so the same list loads under ts-jest,
 * ts-node and the compiled build. A new generated migration is appended here.
 */
export const MIGRATIONS: Array<new () => unknown> = [
  InitCatalogEvents1795839904205,
  AddJobsEmbeddingsModels1795840308243,
  AddItemNeighbours1795849546611,
  AddChangeFeedTriggers1795900000000,
  AddJobDedupe1796039197850,
  AddPlacements1796040119173,
  AddServedListsAttribution1796044407743,
  AddItemTransitions1796100000000,
  AddItemAvailableFrom1796227769990,
  AddAnalyticsRollups1796247315862,
  AddExperiments1796247318529,
  AddEventsStrongTypeIndex1796400000000,
  NotifyDeletedItems1796500000000,
  AddModelBlends1796600000000,
];
