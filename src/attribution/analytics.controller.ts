import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { RequireScope } from '../auth/scopes.decorator';
import { idSchema, parseOrThrow } from '../common/validation';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { AnalyticsRepository, GROUP_BY, type AnalyticsRow, type GroupBy } from './analytics.repository';

const DAY_MS = 86_400_000;
const isoDateTime = z.iso.datetime({ offset: true });
const isoDate = z.iso.date();
// One message for either form: a union of the two would answer a bad value with zod's bare "Invalid input".
const dateTime = z
  .string()
  .refine((v) => isoDate.safeParse(v).success || isoDateTime.safeParse(v).success, {
    message: 'must be an ISO-8601 date (2026-05-01) or date-time with a time zone (2026-05-01T00:00:00Z)',
  })
  .transform((v) => new Date(v))
  .optional();

const analyticsQuerySchema = z
  .object({
    from: dateTime,
    to: dateTime,
    placement: idSchema.optional(),
    groupBy: z
      .string()
      .optional()
      .transform((v, ctx) => {
        const parts = v ? v.split(',').map((p) => p.trim()) : [];
        const bad = parts.find((p) => !(GROUP_BY as readonly string[]).includes(p));
        if (bad !== undefined) {
          ctx.addIssue({ code: 'custom', message: `"${bad}" is not one of ${GROUP_BY.join(', ')}` });
          return z.NEVER;
        }
        return [...new Set(parts)] as GroupBy[];
      }),
  })
  .refine((q) => !q.from || !q.to || q.from < q.to, { message: 'must be after from', path: ['to'] });

@ApiTags('admin')
@ApiSecurity('api-key')
@Controller('v1/admin')
export class AnalyticsController {
  constructor(
    private readonly analytics: AnalyticsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('analytics')
  @RequireScope('admin')
  @ApiOperation({
    summary: 'Lists served, clicks, conversions and revenue, by recommId and through the window',
  })
  @ApiQuery({ name: 'from', required: false, description: 'lists served from (default: 30 days ago)' })
  @ApiQuery({ name: 'to', required: false, description: 'lists served before (default: now)' })
  @ApiQuery({ name: 'placement', required: false, description: 'one placement (or endpoint) only' })
  @ApiQuery({
    name: 'groupBy',
    required: false,
    description: 'comma-separated: day, placement, variant, modelVersion',
  })
  async get(@Query() query: unknown): Promise<{ rows: AnalyticsRow[] }> {
    const q = parseOrThrow(analyticsQuerySchema, query ?? {});
    const to = q.to ?? new Date();
    const from = q.from ?? new Date(to.getTime() - 30 * DAY_MS);
    const rows = await this.analytics.query({
      from,
      to,
      placement: q.placement,
      groupBy: q.groupBy,
      windowHours: this.config.attributionWindowHours,
    });
    return { rows };
  }
}
