import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { RequireScope } from '../auth/scopes.decorator';
import { openApiSchema } from '../common/openapi';
import { notFound } from '../common/problem';
import { parseOrThrow, parseParam, queryLimit } from '../common/validation';
import { CopurchaseJob } from '../copurchase/copurchase.job';
import { JOB_STATUSES, type JobStatus } from '../jobs/job.entity';
import { JobsService } from '../jobs/jobs.service';
import type { Job } from '../jobs/jobs.repository';
import { ReindexJob } from '../vector-index/reindex.job';

const reindexBody = z.strictObject({ full: z.boolean({ message: 'must be true or false' }).optional() });
const jobId = z.string().uuid('must be a job id (UUID)');
const isStatus = (s: string): s is JobStatus => (JOB_STATUSES as readonly string[]).includes(s);
const listQuery = z.object({
  // Comma-separated: `queued,running` is every job not finished yet.
  status: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const wanted = (v ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = wanted.filter((s) => !isStatus(s));
      if (bad.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown status ${bad.map((b) => `"${b}"`).join(', ')}; use ${JOB_STATUSES.join(', ')}`,
        });
        return z.NEVER;
      }
      return wanted.length > 0 ? (wanted as JobStatus[]) : undefined;
    }),
  limit: queryLimit(20),
});

@ApiTags('admin')
@ApiSecurity('api-key')
@Controller('v1/admin')
export class JobsController {
  constructor(
    private readonly jobs: JobsService,
    private readonly reindex: ReindexJob,
    private readonly copurchase: CopurchaseJob,
  ) {}

  @Post('copurchase')
  @HttpCode(202)
  @RequireScope('admin')
  @ApiOperation({
    summary: 'Queue a rebuild of the item-to-item co-purchase neighbours from all purchases so far',
  })
  async copurchaseNow(): Promise<{ jobId: string }> {
    const job = await this.copurchase.enqueue();
    return { jobId: job.id };
  }

  @Post('reindex')
  @HttpCode(202)
  @RequireScope('admin')
  @ApiOperation({
    summary: 'Queue a reindex: embed new/changed items (all with full), rebuild the index, swap it in',
  })
  @ApiBody({ schema: openApiSchema(reindexBody), required: false })
  async reindexNow(@Body() body: unknown): Promise<{ jobId: string }> {
    const { full } = parseOrThrow(reindexBody, body ?? {});
    const job = await this.reindex.enqueue(full ?? false);
    return { jobId: job.id };
  }

  @Get('jobs')
  @RequireScope('admin')
  @ApiOperation({ summary: 'Jobs, newest first: any status, or those named (comma-separated)' })
  @ApiQuery({ name: 'status', required: false, description: `comma-separated: ${JOB_STATUSES.join(', ')}` })
  @ApiQuery({ name: 'limit', required: false, description: '1–100 (clamped), default 20' })
  async list(@Query() query: unknown): Promise<{ jobs: Job[] }> {
    const { status, limit } = parseOrThrow(listQuery, query);
    return { jobs: await this.jobs.list(status, limit) };
  }

  @Get('jobs/:jobId')
  @RequireScope('admin')
  @ApiOperation({ summary: 'A job: status, progress {done, total}, error or result' })
  async job(
    @Param('jobId') id: string,
  ): Promise<Omit<Job, 'params' | 'createdAt'> & { params: Record<string, unknown> }> {
    const job = await this.jobs.get(parseParam('jobId', jobId, id));
    if (!job) throw notFound(`Job "${id}"`);
    return job;
  }
}
