import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';
import type {
  LoadProgress,
  OnlineRetailData,
  OnlineRetailItem,
  OnlineRetailRow,
  Purchase,
} from './online-retail.types';

export type { LoadProgress, OnlineRetailData, OnlineRetailItem, OnlineRetailRow, Purchase };

export const ONLINE_RETAIL_COLUMNS = [
  'InvoiceNo',
  'StockCode',
  'Description',
  'Quantity',
  'InvoiceDate',
  'UnitPrice',
  'CustomerID',
  'Country',
] as const;

const GZIP_MAGIC = [0x1f, 0x8b] as const;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const PROGRESS_EVERY_ROWS = 50_000;

/** Extensions lie (a `.csv` may have been gzipped by a download tool), the first two bytes do not. */
async function isGzip(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  } finally {
    await handle.close();
  }
}

function fail(recordIndex: number, message: string): never {
  throw new Error(`Online Retail CSV, data record ${recordIndex}: ${message}`);
}

function parseNumber(value: string, column: string, recordIndex: number): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed))
    fail(recordIndex, `${column} is not a number: "${value}"`);
  return parsed;
}

/** Some exports write CustomerID as a float ("17850.0"); the id is the integer either way. */
function parseCustomerId(value: string, recordIndex: number): string | null {
  const trimmed = value.trim();
  if (trimmed === '' || trimmed === 'NA') return null;
  const parsed = Number(trimmed);
  if (!Number.isSafeInteger(parsed)) fail(recordIndex, `CustomerID is not an integer: "${value}"`);
  return String(parsed);
}

/**
 * Streams the typed lines of the Online Retail CSV (plain or gzip), without cleaning. Memory stays flat: only a
 * per-invoice line counter is kept, so that two identical lines of one invoice remain distinguishable.
 */
export async function* readOnlineRetailRows(file: string): AsyncGenerator<OnlineRetailRow> {
  const gzip = await isGzip(file);
  // No csv-parse casting: each column is converted below, so a bad value fails with its column and record index.
  const parser = parse({ bom: true, skip_empty_lines: true });
  const onDone = (error: NodeJS.ErrnoException | null): void => {
    // pipeline already destroys every stream on error; surfacing it on the parser ends the for-await below.
    if (error && !parser.destroyed) parser.destroy(error);
  };
  if (gzip) pipeline(createReadStream(file), createGunzip(), parser, onDone);
  else pipeline(createReadStream(file), parser, onDone);

  const linesPerInvoice = new Map<string, number>();
  let recordIndex = -1;
  for await (const record of parser as AsyncIterable<string[]>) {
    if (recordIndex === -1) {
      recordIndex = 0;
      const header = record.map((name) => name.trim());
      if (header.join(',') !== ONLINE_RETAIL_COLUMNS.join(',')) {
        throw new Error(
          `Online Retail CSV: unexpected header "${header.join(',')}", expected "${ONLINE_RETAIL_COLUMNS.join(',')}"`,
        );
      }
      continue;
    }
    if (record.length !== ONLINE_RETAIL_COLUMNS.length) {
      fail(recordIndex, `expected ${ONLINE_RETAIL_COLUMNS.length} fields, got ${record.length}`);
    }
    const [invoiceNo, stockCode, description, quantity, invoiceDate, unitPrice, customerId, country] =
      record as [string, string, string, string, string, string, string, string];
    if (!DATE_PATTERN.test(invoiceDate))
      fail(recordIndex, `InvoiceDate is not "YYYY-MM-DD HH:MM:SS": "${invoiceDate}"`);
    const invoiceLine = linesPerInvoice.get(invoiceNo) ?? 0;
    linesPerInvoice.set(invoiceNo, invoiceLine + 1);
    yield {
      invoiceNo,
      stockCode,
      description: description.trim(),
      quantity: parseNumber(quantity, 'Quantity', recordIndex),
      invoiceDate,
      unitPrice: parseNumber(unitPrice, 'UnitPrice', recordIndex),
      customerId: parseCustomerId(customerId, recordIndex),
      country,
      invoiceLine,
      recordIndex,
    };
    recordIndex++;
  }
}

/** A product code: the cleaning rule keeps StockCodes that start with a digit (POST, M, DOT, … are not products). */
function isProductCode(stockCode: string): boolean {
  return stockCode.length > 0 && stockCode.charCodeAt(0) >= 48 && stockCode.charCodeAt(0) <= 57; // '0'–'9'
}

/** A guest's sale of a product: what tells the catalog's unsold products from adjustments and write-offs. */
function isGuestSale(row: OnlineRetailRow): boolean {
  return (
    row.customerId === null &&
    row.quantity > 0 &&
    row.unitPrice > 0 &&
    !row.invoiceNo.startsWith('C') &&
    isProductCode(row.stockCode)
  );
}

/** The cleaning rule of docs/evaluation.md: drops guest lines, returns, cancellations and non-products (POST, M, …). */
export function isPurchaseRow(row: OnlineRetailRow): row is OnlineRetailRow & { customerId: string } {
  return (
    row.customerId !== null &&
    row.quantity > 0 &&
    !row.invoiceNo.startsWith('C') &&
    isProductCode(row.stockCode)
  );
}

export function onlineRetailEventId(
  row: Pick<OnlineRetailRow, 'invoiceNo' | 'stockCode' | 'invoiceLine'>,
): string {
  return `or:${row.invoiceNo}:${row.stockCode}:${row.invoiceLine}`;
}

/** The file has no time zone; reading it as UTC makes the split identical on every host. */
export function parseInvoiceDate(value: string): Date {
  const match = DATE_PATTERN.exec(value);
  if (!match) throw new Error(`InvoiceDate is not "YYYY-MM-DD HH:MM:SS": "${value}"`);
  const [, y, mo, d, h, mi, s] = match.map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  // Date.UTC silently rolls 2011-02-30 over to March; a calendar-invalid date means a corrupt file.
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    throw new Error(`InvoiceDate is not a valid date: "${value}"`);
  }
  return date;
}

/** Most frequent key; ties → smallest by `compare`. Deterministic regardless of insertion order. */
function mode<T>(counts: Map<T, number>, compare: (a: T, b: T) => number): T | undefined {
  let best: T | undefined;
  let bestCount = 0;
  for (const [value, count] of counts) {
    if (count > bestCount || (count === bestCount && best !== undefined && compare(value, best) < 0)) {
      best = value;
      bestCount = count;
    }
  }
  return best;
}

function increment<T>(counts: Map<T, number>, key: T): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Counts `value` (an empty description is no title) under `key`. */
function countInto<T>(counts: Map<string, Map<T, number>>, key: string, value: T): void {
  let m = counts.get(key);
  if (!m) counts.set(key, (m = new Map<T, number>()));
  if (value !== '') increment(m, value);
}

/**
 * Reads and cleans the whole file into the catalog and the purchase events of the evaluation protocol, plus the
 * products only guests bought (`unsold`). Every product is dated by its first line in the file.
 * Price = most frequent UnitPrice rather than the median: wholesalers get quantity discounts, so the mode is the
 * list price a shopper would see, while the median drifts toward bulk prices for items bought mostly in bulk.
 */
export async function loadOnlineRetail(
  file: string,
  onProgress?: (progress: LoadProgress) => void,
): Promise<OnlineRetailData> {
  const purchases: Purchase[] = [];
  const descriptionCounts = new Map<string, Map<string, number>>();
  const priceCounts = new Map<string, Map<number, number>>();
  const guestDescriptions = new Map<string, Map<string, number>>();
  const guestPrices = new Map<string, Map<number, number>>();
  const firstSeen = new Map<string, number>();
  // Lines of an invoice nearly always share one timestamp, so caching the parse per string saves ~400k regex runs.
  // The cache holds epoch ms, not Dates, so that no two purchases share a mutable Date.
  const epochs = new Map<string, number>();
  let rowsRead = 0;

  for await (const row of readOnlineRetailRows(file)) {
    rowsRead++;
    if (onProgress && rowsRead % PROGRESS_EVERY_ROWS === 0)
      onProgress({ rowsRead, purchasesKept: purchases.length });
    if (!isProductCode(row.stockCode)) continue;

    let epoch = epochs.get(row.invoiceDate);
    if (epoch === undefined) {
      epoch = parseInvoiceDate(row.invoiceDate).getTime();
      epochs.set(row.invoiceDate, epoch);
    }
    // The file is nearly, not strictly, in time order: the earliest line wins.
    const seen = firstSeen.get(row.stockCode);
    if (seen === undefined || epoch < seen) firstSeen.set(row.stockCode, epoch);
    if (isGuestSale(row)) {
      countInto(guestDescriptions, row.stockCode, row.description);
      countInto(guestPrices, row.stockCode, row.unitPrice);
    }
    if (!isPurchaseRow(row)) continue;
    purchases.push({
      eventId: onlineRetailEventId(row),
      userId: row.customerId,
      itemId: row.stockCode,
      invoiceNo: row.invoiceNo,
      timestamp: new Date(epoch),
      quantity: row.quantity,
    });
    countInto(descriptionCounts, row.stockCode, row.description);
    countInto(priceCounts, row.stockCode, row.unitPrice);
  }
  onProgress?.({ rowsRead, purchasesKept: purchases.length });

  const product = (
    id: string,
    descriptions: Map<string, Map<string, number>>,
    prices: Map<string, Map<number, number>>,
  ): OnlineRetailItem => ({
    id,
    // A product with no description at all still needs a displayable title.
    title: mode(descriptions.get(id) ?? new Map<string, number>(), compareStrings) ?? id,
    price: mode(prices.get(id) ?? new Map<number, number>(), (a, b) => a - b) ?? 0,
    availableFrom: new Date(firstSeen.get(id)!),
  });
  const items = [...descriptionCounts.keys()]
    .sort(compareStrings)
    .map((id) => product(id, descriptionCounts, priceCounts));
  const unsold = [...guestDescriptions.keys()]
    .filter((id) => !descriptionCounts.has(id))
    .sort(compareStrings)
    .map((id) => product(id, guestDescriptions, guestPrices));
  return { items, unsold, purchases };
}
