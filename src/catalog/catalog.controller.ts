import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Put, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/scopes.decorator';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { openApiSchema } from '../common/openapi';
import { assertBatch, idSchema, parseOrThrow, parseParam } from '../common/validation';
import { itemPatchSchema, itemsByIdQuerySchema, MAX_IDS_PER_GET, upsertItemsSchema } from './dto/item.schema';
import { CatalogService } from './catalog.service';
import type { Item } from './item.model';

@ApiTags('items')
@ApiSecurity('api-key')
@Controller('v1/items')
export class CatalogController {
  constructor(
    private readonly catalog: CatalogService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Put()
  @HttpCode(200)
  @RequireScope('write')
  @ApiOperation({
    summary: 'Batch upsert items; identical items are reported as unchanged and not re-embedded',
  })
  @ApiBody({ schema: openApiSchema(upsertItemsSchema) })
  async upsert(@Body() body: unknown): Promise<{ upserted: number; unchanged: number }> {
    assertBatch(body, 'items', this.config.maxBatch);
    const { items } = parseOrThrow(upsertItemsSchema, body);
    return this.catalog.upsert(items);
  }

  @Get()
  @RequireScope('read')
  @ApiOperation({
    summary: 'Items by id in one request, in the order asked; ids naming no live item are listed in missing',
  })
  @ApiQuery({ name: 'ids', required: true, description: `1–${MAX_IDS_PER_GET} comma-separated item ids` })
  async getMany(@Query() query: unknown): Promise<{ items: Item[]; missing: string[] }> {
    const { ids } = parseOrThrow(itemsByIdQuerySchema, query);
    return this.catalog.getMany(ids);
  }

  @Get(':id')
  @RequireScope('read')
  @ApiOperation({ summary: 'Get one item' })
  async get(@Param('id') id: string): Promise<Item> {
    return this.catalog.get(parseParam('id', idSchema, id));
  }

  @Patch(':id')
  @RequireScope('write')
  @ApiOperation({ summary: 'Change some fields of an item' })
  @ApiBody({ schema: openApiSchema(itemPatchSchema) })
  async patch(@Param('id') id: string, @Body() body: unknown): Promise<Item> {
    return this.catalog.patch(parseParam('id', idSchema, id), parseOrThrow(itemPatchSchema, body ?? {}));
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScope('write')
  @ApiOperation({ summary: 'Delete an item: it is never recommended again, from the next request on' })
  async remove(@Param('id') id: string): Promise<void> {
    await this.catalog.remove(parseParam('id', idSchema, id));
  }
}
