import { z } from 'zod';
import { idSchema } from '../../common/validation';

const attributeValue = z.union([z.string().max(1000), z.number().finite(), z.boolean()], {
  message: 'attribute values must be strings, numbers or booleans (no nested objects or arrays)',
});

const price = z
  .number({ message: 'must be a number' })
  .finite('must be a finite number')
  .min(0, 'must be ≥ 0');

/** Item fields as accepted from clients (api.md). Unknown fields are refused so typos do not vanish. */
export const itemFields = {
  title: z
    .string({ message: 'must be a string' })
    .trim()
    .min(1, 'must not be empty')
    .max(1000, 'must be at most 1000 characters'),
  description: z
    .string({ message: 'must be a string' })
    .max(20000, 'must be at most 20000 characters')
    .nullish(),
  category: z
    .string({ message: 'must be a string' })
    .max(500, 'must be at most 500 characters')
    .regex(/^[^/]+(\/[^/]+)*$/, 'must be a path like "Home/Lighting" (no empty segments)')
    .nullish(),
  brand: z.string({ message: 'must be a string' }).max(200, 'must be at most 200 characters').nullish(),
  price: price.nullish(),
  inStock: z.boolean({ message: 'must be true or false' }).optional(),
  attributes: z
    .record(z.string().max(100, 'attribute names must be at most 100 characters'), attributeValue)
    .refine((o) => Object.keys(o).length <= 100, 'at most 100 attributes')
    .optional(),
  imageUrl: z
    .string({ message: 'must be a string' })
    .url('must be a URL')
    .max(2048, 'must be at most 2048 characters')
    .nullish(),
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
