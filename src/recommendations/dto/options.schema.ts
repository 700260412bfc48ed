import { z } from 'zod';
import {
  checkPriceRange,
  idSchema,
  queryBool,
  queryLimit,
  queryNumber,
  textSchema,
} from '../../common/validation';

/** The common list options of api.md, as query-string values. */
const listQueryShape = z.object({
  limit: queryLimit(10),
  category: textSchema().max(500).optional(),
  minPrice: queryNumber(),
  maxPrice: queryNumber(),
  inStockOnly: queryBool(true),
  exclude: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const ids = (v ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = ids.find((id) => !idSchema.safeParse(id).success);
      if (bad !== undefined) {
        ctx.addIssue({ code: 'custom', message: `"${bad.slice(0, 40)}" is not a valid item id` });
        return z.NEVER;
      }
      return ids;
    }),
  includeItems: queryBool(false),
  explain: queryBool(false),
  diversity: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return 0;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0 || n > 1) {
        ctx.addIssue({ code: 'custom', message: 'must be a number between 0 and 1' });
        return z.NEVER;
      }
      return n;
    }),
});

export const listQuerySchema = listQueryShape.superRefine((q, ctx) => checkPriceRange(q, ctx));
export const userQuerySchema = listQueryShape
  .extend({ excludePurchased: queryBool(false) })
  .superRefine((q, ctx) => checkPriceRange(q, ctx));
export const popularQuerySchema = listQueryShape
  .extend({
    days: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v === '') return undefined;
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 3650) {
          ctx.addIssue({ code: 'custom', message: 'must be a whole number of days, 1–3650' });
          return z.NEVER;
        }
        return n;
      }),
  })
  .superRefine((q, ctx) => checkPriceRange(q, ctx));

/** POST /v1/recommendations: an anonymous session, a cart, or a text query. */
export const sessionBodySchema = z
  .strictObject({
    itemIds: z.array(idSchema).max(100, 'at most 100 items').optional(),
    text: textSchema()
      .trim()
      .min(1, 'must not be empty')
      .max(1000, 'must be at most 1000 characters')
      .optional(),
    limit: z.number().int('must be an integer').optional(),
    category: textSchema().max(500).optional(),
    minPrice: z.number().finite().min(0, 'must be ≥ 0').optional(),
    maxPrice: z.number().finite().min(0, 'must be ≥ 0').optional(),
    inStockOnly: z.boolean({ message: 'must be true or false' }).optional(),
    exclude: z.array(idSchema).max(1000).optional(),
    includeItems: z.boolean({ message: 'must be true or false' }).optional(),
    explain: z.boolean({ message: 'must be true or false' }).optional(),
    diversity: z.number().min(0).max(1).optional(),
    // Who is shopping, so the list's clicks and sales can be attributed to it (no effect on ranking).
    sessionId: idSchema.optional(),
    userId: idSchema.optional(),
  })
  .refine((b) => (b.itemIds && b.itemIds.length > 0) || b.text, {
    message: 'give itemIds (the session, oldest first) and/or text',
    path: ['itemIds'],
  })
  .superRefine((b, ctx) => checkPriceRange(b, ctx));

export interface ListOptions {
  limit: number;
  category?: string;
  minPrice?: number;
  maxPrice?: number;
  inStockOnly: boolean;
  exclude: string[];
  includeItems: boolean;
  explain: boolean;
  diversity: number;
}

export function sessionOptions(b: z.output<typeof sessionBodySchema>): ListOptions {
  return {
    limit: Math.min(100, Math.max(1, b.limit ?? 10)),
    category: b.category,
    minPrice: b.minPrice,
    maxPrice: b.maxPrice,
    inStockOnly: b.inStockOnly ?? true,
    exclude: b.exclude ?? [],
    includeItems: b.includeItems ?? false,
    explain: b.explain ?? false,
    diversity: b.diversity ?? 0,
  };
}
