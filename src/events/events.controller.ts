import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { RequireScope } from '../auth/scopes.decorator';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { openApiSchema } from '../common/openapi';
import { assertBatch, idSchema, parseOrThrow, parseParam, queryLimit } from '../common/validation';
import { ingestEventsSchema } from './dto/event.schema';
import { EventsService } from './events.service';

// api.md: every `limit` is clamped to 1–100.
const historyQuery = z.object({ limit: queryLimit(50, 100) });

@ApiTags('events')
@ApiSecurity('api-key')
@Controller('v1')
export class EventsController {
  constructor(
    private readonly events: EventsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('events')
  @HttpCode(202)
  @RequireScope('write')
  @ApiOperation({
    summary: 'Ingest a batch of events; a repeated eventId is counted as a duplicate and stored once',
  })
  @ApiBody({ schema: openApiSchema(ingestEventsSchema) })
  async ingest(
    @Body() body: unknown,
  ): Promise<{ accepted: number; duplicates: number; unknownRecommIds: number }> {
    assertBatch(body, 'events', this.config.maxBatch);
    const { events } = parseOrThrow(ingestEventsSchema, body);
    return this.events.ingest(events);
  }

  @Get('users/:userId/events')
  @RequireScope('read')
  @ApiOperation({ summary: "A user's most recent events, newest first" })
  @ApiQuery({ name: 'limit', required: false, description: '1–100 (clamped), default 50' })
  async history(@Param('userId') userId: string, @Query() query: unknown) {
    const { limit } = parseOrThrow(historyQuery, query);
    const events = await this.events.history(parseParam('userId', idSchema, userId), limit);
    return {
      userId,
      events: events.map((e) => ({
        eventId: e.eventId ?? undefined,
        itemId: e.itemId,
        type: e.type,
        value: e.value ?? undefined,
        sessionId: e.sessionId ?? undefined,
        timestamp: e.occurredAt.toISOString(),
      })),
    };
  }

  @Delete('users/:userId')
  @HttpCode(204)
  @RequireScope('write')
  @ApiOperation({ summary: "Erase a user's events, profile and served lists (right to be forgotten)" })
  async erase(@Param('userId') userId: string): Promise<void> {
    await this.events.erase(parseParam('userId', idSchema, userId));
  }
}
