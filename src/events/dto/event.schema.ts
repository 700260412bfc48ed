import { z } from 'zod';
import { idSchema } from '../../common/validation';
import { EVENT_TYPES } from '../event.entity';
import type { NewEvent } from '../events.repository';

/** Clients' clocks drift; a little future is tolerated, more means a wrong timestamp (api.md: 5 minutes). */
export const MAX_FUTURE_MS = 5 * 60 * 1000;

export const eventSchema = z
  .strictObject({
    userId: idSchema,
    itemId: idSchema,
    type: z.enum(EVENT_TYPES, { message: `must be one of ${EVENT_TYPES.join(', ')}` }),
    value: z.number({ message: 'must be a number' }).finite('must be a finite number').optional(),
    timestamp: z
      .string({ message: 'must be an ISO-8601 string' })
      .datetime({
        offset: true,
        message: 'must be an ISO-8601 date-time with a time zone, e.g. 2024-05-01T10:00:00Z',
      })
      .optional(),
    sessionId: idSchema.optional(),
    eventId: idSchema.optional(),
    // The `recommId` of the list the shopper acted on; one the service never served is kept but counted nowhere.
    recommId: idSchema.max(64, 'must be at most 64 characters').optional(),
    position: z
      .number({ message: 'must be a number' })
      .int('must be an integer')
      .min(1, 'must be ≥ 1 (1-based)')
      .optional(),
    price: z.number({ message: 'must be a number' }).finite().min(0, 'must be ≥ 0').optional(),
  })
  .superRefine((e, ctx) => {
    if (e.type === 'rating') {
      if (e.value === undefined)
        ctx.addIssue({ code: 'custom', path: ['value'], message: 'a rating needs a value 1–5' });
      else if (e.value < 1 || e.value > 5)
        ctx.addIssue({ code: 'custom', path: ['value'], message: 'a rating must be between 1 and 5' });
    } else if (e.value !== undefined && e.value <= 0 && e.type === 'purchase') {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'a purchase quantity must be > 0' });
    } else if (e.value !== undefined && e.value < 0) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'must be ≥ 0' });
    }
    if (e.timestamp !== undefined && Date.parse(e.timestamp) > Date.now() + MAX_FUTURE_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['timestamp'],
        message: 'must not be more than 5 minutes in the future',
      });
    }
  });

export const ingestEventsSchema = z.strictObject({
  events: z.array(eventSchema, { message: 'must be an array of events' }).min(1, 'must not be empty'),
});

export type EventInput = z.output<typeof eventSchema>;

/** An accepted event as stored; a missing timestamp means `now` (one instant for the whole batch). */
export function toNewEvent(e: EventInput, now: Date): NewEvent {
  return {
    eventId: e.eventId ?? null,
    userId: e.userId,
    itemId: e.itemId,
    type: e.type,
    value: e.value ?? null,
    sessionId: e.sessionId ?? null,
    occurredAt: e.timestamp ? new Date(e.timestamp) : now,
    recommId: e.recommId ?? null,
    position: e.position ?? null,
    price: e.price ?? null,
  };
}
