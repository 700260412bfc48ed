import { z } from 'zod';
import { idSchema } from '../../common/validation';
import {
  listStrategySchema,
  MAX_RULES,
  modelVersionSchema,
  ruleSchema,
} from '../../placements/dto/placement.schema';

export const EXPERIMENT_MODES = ['ab', 'interleave'] as const;
export type ExperimentMode = (typeof EXPERIMENT_MODES)[number];
export const MAX_VARIANTS = 10;

const dateTime = z.string({ message: 'must be an ISO-8601 date-time' }).datetime({
  offset: true,
  message: 'must be an ISO-8601 date-time with a time zone, e.g. 2026-12-24T00:00:00Z',
});

/**
 * A variant: how it serves the placement. Each setting left out is the placement's own (so `{ id: "control" }`
 * is the placement as configured); `modelVersion` keeps that version's weights whatever is activated later.
 */
export const variantSchema = z
  .strictObject({
    id: idSchema,
    weight: z.number({ message: 'must be a number' }).finite().positive('must be > 0').optional(),
    modelVersion: modelVersionSchema.optional(),
    strategy: listStrategySchema.optional(),
    rules: z.array(ruleSchema).max(MAX_RULES, `at most ${MAX_RULES} rules`).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.strategy === 'popular' && v.modelVersion !== undefined)
      ctx.addIssue({
        code: 'custom',
        message: 'a popular list uses no model version',
        path: ['modelVersion'],
      });
  });
export type VariantDefinition = z.output<typeof variantSchema>;

/** POST /v1/admin/experiments */
export const createExperimentSchema = z
  .strictObject({
    id: idSchema,
    placement: idSchema,
    mode: z.enum(EXPERIMENT_MODES, { message: 'must be ab or interleave' }),
    variants: z
      .array(variantSchema, { message: 'must be an array of variants' })
      .min(2, 'an experiment compares at least 2 variants')
      .max(MAX_VARIANTS, `at most ${MAX_VARIANTS} variants`),
    startAt: dateTime.optional(),
    endAt: dateTime.optional(),
  })
  .superRefine((e, ctx) => {
    if (e.mode === 'interleave' && e.variants.length !== 2)
      ctx.addIssue({
        code: 'custom',
        message: 'interleaving compares exactly 2 variants',
        path: ['variants'],
      });
    const seen = new Set<string>();
    e.variants.forEach((v, i) => {
      if (seen.has(v.id))
        ctx.addIssue({
          code: 'custom',
          message: `variant id "${v.id}" is used twice`,
          path: ['variants', i, 'id'],
        });
      seen.add(v.id);
    });
    if (e.endAt !== undefined) {
      if (e.startAt !== undefined && Date.parse(e.endAt) <= Date.parse(e.startAt))
        ctx.addIssue({ code: 'custom', message: 'must be after startAt', path: ['endAt'] });
      else if (Date.parse(e.endAt) <= Date.now())
        ctx.addIssue({ code: 'custom', message: 'must be in the future', path: ['endAt'] });
    }
  });
export type CreateExperiment = z.output<typeof createExperimentSchema>;
