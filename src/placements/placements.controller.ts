import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/scopes.decorator';
import { idSchema, parseOrThrow, parseParam } from '../common/validation';
import { ServedListRecorder } from '../attribution/served-list.recorder';
import { serveQuerySchema } from './dto/placement.schema';
import { PlacementServingService, type PlacementList } from './placement-serving.service';

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
    const list = await this.serving.serve(
      parseParam('placementId', idSchema, id),
      { userId: q.userId, itemId: q.itemId, itemIds: q.itemIds, text: q.text },
      { limit: q.limit, includeItems: q.includeItems, explain: q.explain },
    );
    const recommId = this.recorder.record({
      source: list.placement,
      isPlacement: true,
      userId: q.userId,
      sessionId: q.sessionId,
      variant: list.variant,
      modelVersion: list.modelVersion,
      strategy: list.strategy,
      itemIds: list.items.map((i) => i.id),
    });
    return { ...list, recommId };
  }
}
