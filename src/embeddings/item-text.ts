import { createHash } from 'node:crypto';

/**
 * The text an item is embedded from. Template (parts joined by ". ", empty parts left out):
 *
 *   <title>. Brand: <brand>. Category: <A> > <B> > <C>. <description, cut at ~300 characters>
 *
 * - Title first: sentence encoders weigh early words most, and the title is what a shopper reads. An item
 *   with only a title embeds as exactly its title, so catalogs like Online Retail get the plain vector.
 * - The category path "Home/Lighting" reads as "Home > Lighting": the slash would otherwise be split into odd
 *   pieces, and "A > B" is how shops print breadcrumbs, so the encoder has seen it.
 * - The description is cut because the encoder reads at most 128 tokens; title, brand and category must not
 *   be pushed out by a long description. It is cut at a word boundary, and HTML tags are dropped.
 * - Whitespace runs collapse to one space, so a re-import that only changes spacing keeps its text hash and
 *   is not re-embedded.
 */

export const DESCRIPTION_MAX_CHARS = 300;

export interface ItemTextInput {
  title: string;
  description?: string | null;
  category?: string | null;
  brand?: string | null;
}

export function itemText(item: ItemTextInput): string {
  const parts: string[] = [];
  const title = clean(item.title);
  if (title) parts.push(title);
  const brand = clean(item.brand);
  if (brand) parts.push(`Brand: ${brand}`);
  const category = (item.category ?? '')
    .split('/')
    .map((segment) => clean(segment))
    .filter((segment) => segment.length > 0)
    .join(' > ');
  if (category) parts.push(`Category: ${category}`);
  const description = truncateAtWord(clean(stripTags(item.description)), DESCRIPTION_MAX_CHARS);
  if (description) parts.push(description);

  return parts.reduce(
    (text, part) => (text === '' ? part : `${text}${/[.!?]$/.test(text) ? ' ' : '. '}${part}`),
    '',
  );
}

/** sha256 (hex) of the text's UTF-8 bytes. The encoder id is deliberately not mixed in: callers key by both. */
export function textHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function clean(value: string | null | undefined): string {
  return (value ?? '').replace(/\s+/g, ' ').trim();
}

/** Tags become spaces (so words on either side stay apart), then a space left before punctuation goes. */
function stripTags(value: string | null | undefined): string {
  return (value ?? '').replace(/<[^>]*>/g, ' ').replace(/\s+([.,;:!?])/g, '$1');
}

function truncateAtWord(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max + 1);
  const lastSpace = cut.lastIndexOf(' ');
  // A single enormous "word" (a URL, a SKU list) is cut hard rather than dropped.
  return (lastSpace > max / 2 ? cut.slice(0, lastSpace) : text.slice(0, max)).replace(/[\s,;:.-]+$/, '');
}
