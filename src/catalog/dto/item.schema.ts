import { z } from 'zod';
import { idSchema, isStorableText, textSchema, UNSTORABLE_TEXT_MESSAGE } from '../../common/validation';

const attributeValue = z.union(
  [
    textSchema().max(1000, 'attribute values must be at most 1000 characters'),
    z.number().finite(),
    z.boolean(),
  ],
  { message: 'attribute values must be strings, numbers or booleans (no nested objects or arrays)' },
);

const price = z
  .number({ message: 'must be a number' })
  .finite('must be a finite number')
  .min(0, 'must be ≥ 0');

/**
 * When the product went on sale: an ISO-8601 date-time with a zone, or a date (midnight UTC). A date in the
 * future is accepted (a product announced ahead); it only becomes a new arrival once that day has come.
 */
const EARLIEST_AVAILABLE_FROM = Date.UTC(1900, 0, 1);
const availableFrom = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], {
    message:
      'must be an ISO-8601 date-time with a time zone (e.g. 2024-05-01T10:00:00Z) or a date (2024-05-01)',
  })
  // ISO years reach back to 0000, which PostgreSQL has no calendar for: refused here, not by a failed write.
  .refine((v) => Date.parse(v) >= EARLIEST_AVAILABLE_FROM, 'must be 1900-01-01 or later');

/** Item fields as accepted from clients (api.md). Unknown fields are refused so typos do not vanish. */
export const itemFields = {
  title: textSchema().trim().min(1, 'must not be empty').max(1000, 'must be at most 1000 characters'),
  description: textSchema().max(20000, 'must be at most 20000 characters').nullish(),
  category: textSchema()
    .max(500, 'must be at most 500 characters')
    .regex(/^[^/]+(\/[^/]+)*$/, 'must be a path like "Home/Lighting" (no empty segments)')
    .nullish(),
  brand: textSchema().max(200, 'must be at most 200 characters').nullish(),
  price: price.nullish(),
  inStock: z.boolean({ message: 'must be true or false' }).optional(),
  attributes: z
    .record(z.string().max(100, 'attribute names must be at most 100 characters'), attributeValue)
    .refine((o) => Object.keys(o).length <= 100, 'at most 100 attributes')
    // Checked on the record so the issue names the field (attributes.<name> cannot be printed safely).
    .superRefine((o, ctx) => {
      if (Object.keys(o).some((k) => !isStorableText(k)))
        ctx.addIssue({ code: 'custom', message: `attribute names ${UNSTORABLE_TEXT_MESSAGE}` });
    })
    .optional(),
  // Only http(s): storefronts put it in <img src> / <a href>, where javascript: or data: is script injection.
  imageUrl: z
    .url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' })
    .max(2048, 'must be at most 2048 characters')
    .nullish(),
  availableFrom: availableFrom.optional(),
};

export const itemSchema = z.strictObject({ id: idSchema, ...itemFields });
export const itemPatchSchema = z
  .strictObject({
    ...itemFields,
    title: itemFields.title.optional(),
  })
  .refine((o) => Object.keys(o).length > 0, 'the patch must change at least one field');

export const upsertItemsSchema = z
  .strictObject({
    items: z.array(itemSchema, { message: 'must be an array of items' }).min(1, 'must not be empty'),
  })
  .superRefine((body, ctx) => {
    // Duplicate ids in one batch would make the outcome depend on order: refuse them.
    const seen = new Map<string, number>();
    body.items.forEach((it, i) => {
      const first = seen.get(it.id);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['items', i, 'id'], message: `duplicates items[${first}].id` });
      } else seen.set(it.id, i);
    });
  });

export type ItemInput = z.output<typeof itemSchema>;
export type ItemPatch = z.output<typeof itemPatchSchema>;

/** Most ids one GET /v1/items?ids= names: what a page shows at once, and a URL well under 8 KB. */
export const MAX_IDS_PER_GET = 100;

/** GET /v1/items?ids=a,b,c — items by id, in one request. */
export const itemsByIdQuerySchema = z.object({
  ids: z.string({ message: `must be 1–${MAX_IDS_PER_GET} comma-separated item ids` }).transform((v, ctx) => {
    const ids = [
      ...new Set(
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    ];
    const bad = ids.find((id) => !idSchema.safeParse(id).success);
    if (bad !== undefined) {
      ctx.addIssue({ code: 'custom', message: `"${bad.slice(0, 40)}" is not a valid item id` });
      return z.NEVER;
    }
    if (ids.length === 0 || ids.length > MAX_IDS_PER_GET) {
      ctx.addIssue({ code: 'custom', message: `must be 1–${MAX_IDS_PER_GET} comma-separated item ids` });
      return z.NEVER;
    }
    return ids;
  }),
});
