import { z } from 'zod';
import { checkPriceRange, idSchema, queryBool, queryLimit } from '../../common/validation';
import { conditionIssues } from '../../ranking/item-condition';

export const PLACEMENT_KINDS = [
  'for-you',
  'similar',
  'complements',
  'buy-again',
  'trending',
  'new-arrivals',
  'search',
] as const;
export type PlacementKind = (typeof PLACEMENT_KINDS)[number];

export const MAX_RULES = 100;
export const DEFAULT_PLACEMENT_LIMIT = 10;

/** A `match` / `when` condition: checked by the allow-list of item-condition.ts, each problem at its path. */
const conditionSchema = z.unknown().superRefine((value, ctx) => {
  for (const issue of conditionIssues(value))
    ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
});

const isoDateTime = z
  .string({ message: 'must be an ISO-8601 date-time' })
  .refine((v) => !Number.isNaN(Date.parse(v)) && /^\d{4}-\d{2}-\d{2}/.test(v), {
    message: 'must be an ISO-8601 date-time, e.g. 2026-12-24T00:00:00Z',
  });

export const ruleSchema = z
  .strictObject({
    id: idSchema.optional(),
    action: z.enum(['boost', 'bury', 'filter', 'pin', 'promote'], {
      message: 'must be one of boost, bury, filter, pin, promote',
    }),
    match: conditionSchema.optional(),
    when: conditionSchema.optional(),
    weight: z.number({ message: 'must be a number' }).finite().positive('must be > 0').optional(),
    itemIds: z.array(idSchema).min(1, 'must name at least one item').max(100).optional(),
    position: z.number({ message: 'must be a number' }).int('must be a whole number').min(1).optional(),
    share: z.number({ message: 'must be a number' }).optional(),
    from: isoDateTime.optional(),
    until: isoDateTime.optional(),
  })
  .superRefine((r, ctx) => {
    const need = (field: keyof typeof r, why: string) => {
      if (r[field] === undefined) ctx.addIssue({ code: 'custom', message: why, path: [field] });
    };
    if (r.action === 'boost' || r.action === 'bury') {
      need('match', `a ${r.action} rule needs match`);
      need('weight', `a ${r.action} rule needs weight`);
      if (r.action === 'boost' && r.weight !== undefined && r.weight <= 1)
        ctx.addIssue({ code: 'custom', message: 'a boost weight must be > 1', path: ['weight'] });
      if (r.action === 'bury' && r.weight !== undefined && r.weight >= 1)
        ctx.addIssue({ code: 'custom', message: 'a bury weight must be < 1', path: ['weight'] });
    }
    if (r.action === 'filter') need('match', 'a filter rule needs match');
    if (r.action === 'pin') {
      need('itemIds', 'a pin rule needs itemIds');
      need('position', 'a pin rule needs position (1-based)');
    }
    if (r.action === 'promote') {
      need('match', 'a promote rule needs match');
      need('share', 'a promote rule needs share (0–1)');
    }
    if (r.share !== undefined && !(r.share >= 0 && r.share <= 1))
      ctx.addIssue({ code: 'custom', message: 'must be between 0 and 1', path: ['share'] });
    if (r.from !== undefined && r.until !== undefined && Date.parse(r.until) <= Date.parse(r.from))
      ctx.addIssue({ code: 'custom', message: 'must be after from', path: ['until'] });
  });
export type Rule = z.output<typeof ruleSchema>;

export const placementFiltersSchema = z
  .strictObject({
    category: z.string().min(1).max(500).optional(),
    minPrice: z.number().finite().min(0, 'must be ≥ 0').optional(),
    maxPrice: z.number().finite().min(0, 'must be ≥ 0').optional(),
    inStockOnly: z.boolean({ message: 'must be true or false' }).optional(),
    excludePurchased: z.boolean({ message: 'must be true or false' }).optional(),
  })
  .superRefine((f, ctx) => checkPriceRange(f, ctx));

/** A model version's name, as `POST /v1/admin/models/:version/activate` takes it. */
export const modelVersionSchema = z
  .string({ message: 'must be a model version name' })
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be a model version name');

/** What produces a list's candidates: the engine, or the most-bought items (a control any shop understands). */
export const LIST_STRATEGIES = ['engine', 'popular'] as const;
export type ListStrategy = (typeof LIST_STRATEGIES)[number];
export const listStrategySchema = z.enum(LIST_STRATEGIES, { message: 'must be engine or popular' });

/** PUT /v1/admin/placements/:placementId (and a preview's draft). */
export const placementBodySchema = z
  .strictObject({
    kind: z.enum(PLACEMENT_KINDS, { message: `must be one of ${PLACEMENT_KINDS.join(', ')}` }),
    title: z.string().max(200).optional(),
    limit: z.number().int('must be a whole number').min(1).max(100).optional(),
    filters: placementFiltersSchema.optional(),
    diversity: z.number().min(0).max(1).optional(),
    rules: z.array(ruleSchema).max(MAX_RULES, `at most ${MAX_RULES} rules`).optional(),
    // Serve with this version's weights and blends whatever is activated later (a promoted experiment variant).
    modelVersion: modelVersionSchema.optional(),
    strategy: listStrategySchema.optional(),
  })
  .superRefine((p, ctx) => {
    if (p.strategy === 'popular' && p.modelVersion !== undefined)
      ctx.addIssue({
        code: 'custom',
        message: 'a popular list uses no model version',
        path: ['modelVersion'],
      });
    const limit = p.limit ?? DEFAULT_PLACEMENT_LIMIT;
    (p.rules ?? []).forEach((r, i) => {
      if (r.position !== undefined && r.position + (r.itemIds?.length ?? 1) - 1 > limit)
        ctx.addIssue({
          code: 'custom',
          message: `pins places beyond the placement's limit (${limit})`,
          path: ['rules', i, 'position'],
        });
    });
  });
export type PlacementDefinition = z.output<typeof placementBodySchema>;

/** A stored or exported placement without its id and revision bookkeeping: what a PUT body holds. */
export const definitionOf = ({
  id: _id,
  revision: _r,
  updatedAt: _u,
  updatedBy: _b,
  ...definition
}: Record<string, unknown>): Record<string, unknown> => definition;

/** A placement file for `aisle placements:import`: what `placements:export` writes. */
export const placementFileSchema = z.strictObject({
  placements: z
    .array(z.object({ id: idSchema }).passthrough())
    .max(10_000)
    .superRefine((list, ctx) => {
      list.forEach((entry, i) => {
        const r = placementBodySchema.safeParse(definitionOf(entry));
        if (!r.success)
          for (const issue of r.error.issues)
            ctx.addIssue({ code: 'custom', message: issue.message, path: [i, ...issue.path] });
      });
    }),
});

const contextId = idSchema.optional();
const contextIds = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === '') return undefined;
    const ids = v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = ids.find((id) => !idSchema.safeParse(id).success);
    if (bad !== undefined || ids.length > 100) {
      ctx.addIssue({ code: 'custom', message: 'must be up to 100 comma-separated item ids' });
      return z.NEVER;
    }
    return ids;
  });

/** GET /v1/placements/:placementId/recommendations */
export const serveQuerySchema = z.object({
  userId: contextId,
  itemId: contextId,
  itemIds: contextIds,
  text: z.string().trim().min(1).max(1000).optional(),
  sessionId: contextId,
  // No value: the placement's own limit (0 marks "not given"; given values are clamped to 1–100).
  limit: queryLimit(0).transform((n) => (n === 0 ? undefined : n)),
  includeItems: queryBool(false),
  explain: queryBool(false),
});
export type ServeQuery = z.output<typeof serveQuerySchema>;

export const previewContextSchema = z.strictObject({
  userId: idSchema.optional(),
  itemId: idSchema.optional(),
  itemIds: z.array(idSchema).max(100).optional(),
  text: z.string().trim().min(1).max(1000).optional(),
});
export type PlacementContext = z.output<typeof previewContextSchema>;

/** POST /v1/admin/placements/:placementId/preview */
export const previewBodySchema = z.strictObject({
  placement: placementBodySchema,
  context: previewContextSchema.optional(),
  limit: z.number().int().min(1).max(100).optional(),
  includeItems: z.boolean().optional(),
});
