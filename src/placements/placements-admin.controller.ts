import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { apiKeyName } from '../auth/api-key-name';
import { RequireScope } from '../auth/scopes.decorator';
import { openApiSchema } from '../common/openapi';
import { idSchema, parseOrThrow, parseParam } from '../common/validation';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { placementBodySchema, previewBodySchema } from './dto/placement.schema';
import { PlacementServingService } from './placement-serving.service';
import type { PlacementRevision, StoredPlacement } from './placements.repository';
import { PlacementsService } from './placements.service';

const revisionSchema = z.coerce
  .number({ message: 'must be a revision number' })
  .int('must be a revision number')
  .min(1, 'must be a revision number');

@ApiTags('placements')
@ApiSecurity('api-key')
@Controller('v1/admin/placements')
export class PlacementsAdminController {
  constructor(
    private readonly placements: PlacementsService,
    private readonly serving: PlacementServingService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private who(req: { headers: IncomingHttpHeaders }): string {
    return apiKeyName(req.headers, (this.config.apiKeys ?? []).length > 0);
  }

  @Get()
  @RequireScope('admin')
  @ApiOperation({ summary: 'Every placement, current revision' })
  async list(): Promise<{ placements: StoredPlacement[] }> {
    return { placements: await this.placements.list() };
  }

  @Put(':placementId')
  @RequireScope('admin')
  @ApiOperation({ summary: 'Create or change a placement: a new revision (400 names every bad rule path)' })
  @ApiBody({ schema: openApiSchema(placementBodySchema) })
  put(
    @Param('placementId') id: string,
    @Body() body: unknown,
    @Req() req: { headers: IncomingHttpHeaders },
  ): Promise<StoredPlacement> {
    return this.placements.put(parseParam('placementId', idSchema, id), body, this.who(req));
  }

  @Get(':placementId')
  @RequireScope('admin')
  @ApiOperation({ summary: 'One placement, current revision' })
  get(@Param('placementId') id: string): Promise<StoredPlacement> {
    return this.placements.get(parseParam('placementId', idSchema, id));
  }

  @Delete(':placementId')
  @HttpCode(204)
  @RequireScope('admin')
  @ApiOperation({ summary: 'Delete a placement and its history' })
  async delete(@Param('placementId') id: string): Promise<void> {
    await this.placements.delete(parseParam('placementId', idSchema, id));
  }

  @Get(':placementId/revisions')
  @RequireScope('admin')
  @ApiOperation({ summary: 'Every revision, newest first, with who wrote it and when' })
  async revisions(@Param('placementId') id: string): Promise<{ revisions: PlacementRevision[] }> {
    return { revisions: await this.placements.revisions(parseParam('placementId', idSchema, id)) };
  }

  @Post(':placementId/revisions/:revision/restore')
  @HttpCode(200)
  @RequireScope('admin')
  @ApiOperation({ summary: 'Make an old revision current again (as a new revision)' })
  restore(
    @Param('placementId') id: string,
    @Param('revision') revision: string,
    @Req() req: { headers: IncomingHttpHeaders },
  ): Promise<StoredPlacement> {
    return this.placements.restore(
      parseParam('placementId', idSchema, id),
      parseParam('revision', revisionSchema, revision),
      this.who(req),
    );
  }

  @Post(':placementId/preview')
  @HttpCode(200)
  @RequireScope('admin')
  @ApiOperation({
    summary: 'A draft placement beside the stored one for a context: both lists, reasons and rules per item',
  })
  @ApiBody({ schema: openApiSchema(previewBodySchema) })
  preview(@Param('placementId') id: string, @Body() body: unknown): Promise<Record<string, unknown>> {
    const placementId = parseParam('placementId', idSchema, id);
    const b = parseOrThrow(previewBodySchema, body ?? {});
    return this.serving.preview(placementId, b.placement, b.context ?? {}, {
      limit: b.limit,
      includeItems: b.includeItems ?? false,
    });
  }
}
