import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { IncomingHttpHeaders } from 'node:http';
import { apiKeyName } from '../auth/api-key-name';
import { RequireScope } from '../auth/scopes.decorator';
import { openApiSchema } from '../common/openapi';
import { idSchema, parseParam } from '../common/validation';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { createExperimentSchema } from './dto/experiment.schema';
import { ExperimentsService, type ExperimentView } from './experiments.service';

@ApiTags('experiments')
@ApiSecurity('api-key')
@Controller('v1/admin/experiments')
export class ExperimentsController {
  constructor(
    private readonly experiments: ExperimentsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private who(req: { headers: IncomingHttpHeaders }): string {
    return apiKeyName(req.headers, (this.config.apiKeys ?? []).length > 0);
  }

  @Post()
  @HttpCode(201)
  @RequireScope('admin')
  @ApiOperation({
    summary: 'Start an A/B or interleaving experiment on a placement (400 names every bad field)',
  })
  @ApiBody({ schema: openApiSchema(createExperimentSchema) })
  create(@Body() body: unknown, @Req() req: { headers: IncomingHttpHeaders }): Promise<ExperimentView> {
    return this.experiments.create(body, this.who(req));
  }

  @Get()
  @RequireScope('admin')
  @ApiOperation({ summary: 'Every experiment, newest first, with its results' })
  async list(): Promise<{ experiments: ExperimentView[] }> {
    return { experiments: await this.experiments.list() };
  }

  @Get(':id')
  @RequireScope('admin')
  @ApiOperation({
    summary: 'Results per variant (CTR with 95 % interval, lift, p-value), interleaving wins, series by day',
  })
  get(@Param('id') id: string): Promise<ExperimentView> {
    return this.experiments.get(parseParam('id', idSchema, id));
  }

  @Post(':id/stop')
  @HttpCode(200)
  @RequireScope('admin')
  @ApiOperation({ summary: 'Stop serving the experiment; its results stay' })
  stop(@Param('id') id: string): Promise<ExperimentView> {
    return this.experiments.stop(parseParam('id', idSchema, id));
  }

  @Post(':id/promote/:variantId')
  @HttpCode(200)
  @RequireScope('admin')
  @ApiOperation({
    summary:
      "Make the variant's model version, strategy and rules the placement's own, and stop the experiment",
  })
  promote(
    @Param('id') id: string,
    @Param('variantId') variantId: string,
    @Req() req: { headers: IncomingHttpHeaders },
  ): Promise<ExperimentView> {
    return this.experiments.promote(
      parseParam('id', idSchema, id),
      parseParam('variantId', idSchema, variantId),
      this.who(req),
    );
  }
}
