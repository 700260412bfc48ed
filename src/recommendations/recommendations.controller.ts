import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/scopes.decorator';
import { openApiSchema } from '../common/openapi';
import { idSchema, parseOrThrow, parseParam, parseQueryOrThrow } from '../common/validation';
import {
  listQuerySchema,
  popularQuerySchema,
  sessionBodySchema,
  sessionOptions,
  userQuerySchema,
} from './dto/options.schema';
import { RecommendationsService } from './recommendations.service';
import { ServedListRecorder } from '../attribution/served-list.recorder';
import type { RecommendationList, ServedRecommendationList } from './response';

const LIST_QUERY = [
  ['limit', '1–100, default 10'],
  ['category', 'category path prefix, e.g. Home/Lighting'],
  ['minPrice', 'lowest price'],
  ['maxPrice', 'highest price'],
  ['inStockOnly', 'default true'],
  ['exclude', 'comma-separated item ids'],
  ['includeItems', 'embed the item records'],
  ['explain', 'add a reason to each item'],
  ['diversity', '0–1, default 0: trade relevance for variety (MMR)'],
] as const;
const ListQuery = () => (target: object, key: string | symbol, desc: PropertyDescriptor) => {
  for (const [name, description] of LIST_QUERY)
    ApiQuery({ name, required: false, description })(target, key, desc);
};

@ApiTags('recommendations')
@ApiSecurity('api-key')
@Controller('v1')
export class RecommendationsController {
  constructor(
    private readonly recs: RecommendationsService,
    private readonly recorder: ServedListRecorder,
  ) {}

  /** Records the list and answers with its recommId; a copy, because lists may be shared through the cache. */
  private async served(
    list: Promise<RecommendationList>,
    source: string,
    who: { userId?: string; sessionId?: string } = {},
  ): Promise<ServedRecommendationList> {
    const l = await list;
    const recommId = this.recorder.record({
      source,
      isPlacement: false,
      ...who,
      modelVersion: l.modelVersion,
      strategy: l.strategy,
      itemIds: l.items.map((i) => i.id),
    });
    return { ...l, recommId };
  }

  @Get('items/:itemId/similar')
  @RequireScope('read')
  @ApiOperation({ summary: 'Items like this one (never the item itself)' })
  @ListQuery()
  similar(@Param('itemId') itemId: string, @Query() query: unknown): Promise<ServedRecommendationList> {
    const opts = parseQueryOrThrow(listQuerySchema, query);
    return this.served(this.recs.similar(parseParam('itemId', idSchema, itemId), opts), 'similar');
  }

  @Get('users/:userId/recommendations')
  @RequireScope('read')
  @ApiOperation({
    summary: 'Personalised recommendations; users with no history get strategy "popular-fallback"',
  })
  @ListQuery()
  @ApiQuery({
    name: 'excludePurchased',
    required: false,
    description: 'default false: re-orders are legitimate in retail',
  })
  forUser(@Param('userId') userId: string, @Query() query: unknown): Promise<ServedRecommendationList> {
    const opts = parseQueryOrThrow(userQuerySchema, query);
    const id = parseParam('userId', idSchema, userId);
    return this.served(this.recs.forUser(id, opts), 'user', { userId: id });
  }

  @Get('popular')
  @RequireScope('read')
  @ApiOperation({
    summary: 'Most bought items (by distinct buyers) in the last `days` (default: all history)',
  })
  @ListQuery()
  @ApiQuery({ name: 'days', required: false, description: 'window in days, 1–3650' })
  popular(@Query() query: unknown): Promise<ServedRecommendationList> {
    const opts = parseQueryOrThrow(popularQuerySchema, query);
    return this.served(this.recs.popularInWindow(opts), 'popular');
  }

  @Post('recommendations')
  @HttpCode(200)
  @RequireScope('read')
  @ApiOperation({
    summary: 'Anonymous session / cart recommendations, or a semantic product query with `text`',
  })
  @ApiBody({ schema: openApiSchema(sessionBodySchema) })
  session(@Body() body: unknown): Promise<ServedRecommendationList> {
    const b = parseOrThrow(sessionBodySchema, body ?? {});
    return this.served(this.recs.session(b.itemIds ?? [], b.text, sessionOptions(b)), 'session', {
      userId: b.userId,
      sessionId: b.sessionId,
    });
  }
}
