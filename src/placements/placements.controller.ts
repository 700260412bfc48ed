import { Controller, Get, Inject, Optional, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/scopes.decorator';
import { idSchema, parseOrThrow, parseParam } from '../common/validation';
import { ServedListRecorder } from '../attribution/served-list.recorder';
import { serveQuerySchema } from './dto/placement.schema';
import { PlacementServingService, type PlacementList } from './placement-serving.service';
import { PLACEMENT_EXPERIMENTS, type PlacementExperiments } from './placement-experiments.port';

const CONTEXT_QUERY = [
  ['userId', 'for-you, buy-again'],
  ['itemId', 'similar; complements (a product page); the context item of `when` conditions'],
  ['itemIds', 'complements (a cart, comma-separated); the last one is the context item'],
  ['text', 'search'],
  ['sessionId', 'the shopper session (optional)'],
  ['limit', "1–100, default the placement's limit"],
  ['includeItems', 'embed the item records'],
  ['explain', "add each item's reason and the rules that touched it"],
] as const;

@ApiTags('placements')
@ApiSecurity('api-key')
@Controller('v1/placements')
export class PlacementsController {
  constructor(
    private readonly serving: PlacementServingService,
    private readonly recorder: ServedListRecorder,
    @Optional() @Inject(PLACEMENT_EXPERIMENTS) private readonly experiments?: PlacementExperiments,
  ) {}

  @Get(':placementId/recommendations')
  @RequireScope('read')
  @ApiOperation({ summary: "A placement's list; the context it needs depends on its kind (missing → 400)" })
  @((target: object, key: string | symbol, desc: PropertyDescriptor) => {
    for (const [name, description] of CONTEXT_QUERY)
      ApiQuery({ name, required: false, description })(target, key, desc);
  })
  async recommendations(@Param('placementId') id: string, @Query() query: unknown): Promise<PlacementList> {
    const q = parseOrThrow(serveQuerySchema, query ?? {});
    const placementId = parseParam('placementId', idSchema, id);
    const context = { userId: q.userId, itemId: q.itemId, itemIds: q.itemIds, text: q.text };
    const opts = { limit: q.limit, includeItems: q.includeItems, explain: q.explain };
    // A running experiment serves the placement's list as one of its variants (or interleaves two).
    const list =
      (await this.experiments?.serve(placementId, context, opts, {
        userId: q.userId,
        sessionId: q.sessionId,
      })) ?? (await this.serving.serve(placementId, context, opts));
    const teams = list.items.map((i) => i.team);
    const recommId = this.recorder.record({
      source: list.placement,
      isPlacement: true,
      userId: q.userId,
      sessionId: q.sessionId,
      variant: list.variant,
      experimentId: list.experiment,
      itemTeams: teams.every((t): t is string => t !== undefined) && teams.length > 0 ? teams : undefined,
      modelVersion: list.modelVersion,
      strategy: list.strategy,
      itemIds: list.items.map((i) => i.id),
    });
    return { ...list, recommId };
  }
}
