import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { RequireScope } from '../auth/scopes.decorator';
import { parseParam } from '../common/validation';
import { JobsService } from '../jobs/jobs.service';
import { ModelVersionsRepository, type ModelVersionRow } from './model-versions.repository';
import { FINETUNE } from './finetune.job';
import { ModelActivationService, type ServedBlends } from './model-activation.service';

const versionSchema = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be a model version name');

@ApiTags('admin')
@ApiSecurity('api-key')
@Controller('v1/admin')
export class ModelsController {
  constructor(
    private readonly jobs: JobsService,
    private readonly versions: ModelVersionsRepository,
    private readonly activation: ModelActivationService,
  ) {}

  @Post('finetune')
  @HttpCode(202)
  @RequireScope('admin')
  @ApiOperation({ summary: 'Queue the fine-tune (the same work as the nightly `aisle finetune`)' })
  async finetune(): Promise<{ jobId: string }> {
    const job = await this.jobs.enqueue(FINETUNE, {});
    return { jobId: job.id };
  }

  @Get('models')
  @RequireScope('admin')
  @ApiOperation({
    summary:
      "Model versions with their validation metrics; which one is active, and the blends this server ranks with (the version's own, or re-tuned for it by a later fine-tune whose candidate lost)",
  })
  async list(): Promise<{ active: string | null; versions: ModelVersionRow[]; servedBlends: ServedBlends }> {
    return {
      active: this.activation.activeVersion(),
      versions: await this.versions.list(),
      servedBlends: this.activation.servedBlends(),
    };
  }

  @Post('models/:version/activate')
  @HttpCode(200)
  @RequireScope('admin')
  @ApiOperation({
    summary: 'Activate a stored version (rollback / roll forward): re-projects and swaps the index',
  })
  async activate(@Param('version') raw: string): Promise<{ version: string; active: boolean }> {
    const version = parseParam('version', versionSchema, raw);
    await this.activation.activate(version);
    return { version, active: true };
  }
}
