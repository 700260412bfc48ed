import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  isPurchaseRow,
  loadOnlineRetail,
  onlineRetailEventId,
  parseInvoiceDate,
  readOnlineRetailRows,
} from './online-retail.reader';
import type { OnlineRetailRow } from './online-retail.types';

const HEADER =
  '"InvoiceNo","StockCode","Description","Quantity","InvoiceDate","UnitPrice","CustomerID","Country"';
const CSV = [
  HEADER,
  '"536365","85123A","WHITE HANGING HEART T-LIGHT HOLDER",6,"2010-12-01 08:26:00",2.55,17850,"United Kingdom"',
  '"536365","22041","RECORD FRAME 7"" SINGLE SIZE",48,"2010-12-01 08:26:00",2.1,17850,"United Kingdom"',
  // The same line twice in one invoice: two purchases, two ids.
  '"536365","85123A","WHITE HANGING HEART T-LIGHT HOLDER",6,"2010-12-01 08:26:00",2.55,17850,"United Kingdom"',
  // Dropped: no customer / cancellation / return / non-product.
  '"536366","85123A","CREAM HANGING HEART T-LIGHT HOLDER",1,"2010-12-01 09:00:00",2.95,,"United Kingdom"',
  '"C536367","85123A","WHITE HANGING HEART T-LIGHT HOLDER",-1,"2010-12-01 09:30:00",2.55,13047,"United Kingdom"',
  '"536368","85123A","WHITE HANGING HEART T-LIGHT HOLDER",-2,"2010-12-01 09:40:00",2.55,13047,"United Kingdom"',
  '"536369","POST","POSTAGE",1,"2010-12-01 10:00:00",18,12583,"France"',
  // Kept, float customer id; a description tie (1 vs 1) for 22041 and a different price.
  '"536370","85123A","CREAM HANGING HEART T-LIGHT HOLDER",12,"2011-11-30 23:59:59",2.55,12583.0,"France"',
  '"536370","22041","FRAME, 7 INCH",4,"2011-11-30 23:59:59",1.95,12583.0,"France"',
  '"536371","22041","",4,"2011-12-01 10:00:00",1.95,12583,"France"',
  '',
].join('\n');

describe('Online Retail reader', () => {
  let dir: string;
  let plain: string;
  let gzipped: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'online-retail-'));
    plain = join(dir, 'plain.csv');
    // Named .csv on purpose: compression is detected from the magic bytes, not the extension.
    gzipped = join(dir, 'gzipped.csv');
    await writeFile(plain, CSV);
    await writeFile(gzipped, gzipSync(Buffer.from(CSV)));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function readAll(file: string): Promise<OnlineRetailRow[]> {
    const rows: OnlineRetailRow[] = [];
    for await (const row of readOnlineRetailRows(file)) rows.push(row);
    return rows;
  }

  it('yields typed raw rows from plain and gzipped files alike', async () => {
    const rows = await readAll(plain);
    expect(rows).toHaveLength(10);
    expect(rows[1]).toEqual({
      invoiceNo: '536365',
      stockCode: '22041',
      description: 'RECORD FRAME 7" SINGLE SIZE',
      quantity: 48,
      invoiceDate: '2010-12-01 08:26:00',
      unitPrice: 2.1,
      customerId: '17850',
      country: 'United Kingdom',
      invoiceLine: 1,
      recordIndex: 1,
    });
    expect(rows[3].customerId).toBeNull();
    expect(rows[7].customerId).toBe('12583');
    await expect(readAll(gzipped)).resolves.toEqual(rows);
  });

  it('numbers lines within their invoice', async () => {
    const rows = await readAll(plain);
    expect(rows.map((row) => `${row.invoiceNo}/${row.invoiceLine}`)).toEqual([
      '536365/0',
      '536365/1',
      '536365/2',
      '536366/0',
      'C536367/0',
      '536368/0',
      '536369/0',
      '536370/0',
      '536370/1',
      '536371/0',
    ]);
  });

  it('applies the evaluation cleaning rule', async () => {
    const kept = (await readAll(plain)).map(isPurchaseRow);
    expect(kept).toEqual([true, true, true, false, false, false, false, true, true, true]);
  });

  it('rejects a file with other columns', async () => {
    const other = join(dir, 'other.csv');
    await writeFile(other, 'a,b\n1,2\n');
    await expect(readAll(other)).rejects.toThrow(/unexpected header/);
  });

  it('rejects malformed values with the record index', async () => {
    const bad = join(dir, 'bad.csv');
    await writeFile(bad, `${HEADER}\n"1","2","x",six,"2010-12-01 08:26:00",1,1,"UK"\n`);
    await expect(readAll(bad)).rejects.toThrow(/data record 0: Quantity is not a number/);
  });

  it('parses InvoiceDate as UTC and refuses impossible dates', () => {
    expect(parseInvoiceDate('2011-11-01 00:00:00').toISOString()).toBe('2011-11-01T00:00:00.000Z');
    expect(() => parseInvoiceDate('2011-02-30 10:00:00')).toThrow(/not a valid date/);
    expect(() => parseInvoiceDate('01/12/2010 08:26')).toThrow(/YYYY-MM-DD/);
  });

  it('loads the catalog and purchases with stable, distinct event ids', async () => {
    const progress: number[] = [];
    const data = await loadOnlineRetail(gzipped, (p) => progress.push(p.rowsRead));
    expect(progress.at(-1)).toBe(10);

    expect(data.purchases.map((p) => p.eventId)).toEqual([
      'or:536365:85123A:0',
      'or:536365:22041:1',
      'or:536365:85123A:2',
      'or:536370:85123A:0',
      'or:536370:22041:1',
      'or:536371:22041:0',
    ]);
    expect(data.purchases[4]).toEqual({
      eventId: 'or:536370:22041:1',
      userId: '12583',
      itemId: '22041',
      invoiceNo: '536370',
      timestamp: new Date('2011-11-30T23:59:59Z'),
      quantity: 4,
    });
    // Separate Date objects: mutating one purchase's timestamp must not move its invoice neighbours.
    expect(data.purchases[0].timestamp).not.toBe(data.purchases[1].timestamp);

    // 85123A: WHITE ×2 vs CREAM ×1 (the guest line does not count). 22041: one each → smallest string; the
    // empty description is ignored. Prices: 2.55 ×3 for 85123A; 22041 has 2.1 ×1, 1.95 ×2.
    // Both on sale from the file's first line. The guest's line of 85123A is a sale, so nothing is unsold.
    const first = new Date('2010-12-01T08:26:00Z');
    expect(data.items).toEqual([
      { id: '22041', title: 'FRAME, 7 INCH', price: 1.95, availableFrom: first },
      { id: '85123A', title: 'WHITE HANGING HEART T-LIGHT HOLDER', price: 2.55, availableFrom: first },
    ]);
    expect(data.unsold).toEqual([]);
    await expect(loadOnlineRetail(plain)).resolves.toEqual(data);
  });

  it('dates each product by its earliest line and lists the products only guests bought', async () => {
    const file = join(dir, 'guests.csv');
    await writeFile(
      file,
      [
        HEADER,
        // Sold only to guests, the later line first in the file; a description tie → the smaller string.
        '"600001","11111","GLASS STAR",2,"2011-03-05 10:00:00",1.25,,"United Kingdom"',
        '"600000","11111","GLASS STAR FROSTED",1,"2011-03-04 09:00:00",1.25,,"United Kingdom"',
        // No sales: a write-off, a free line, a guest's cancellation, a non-product.
        '"600002","22222","?",-5,"2011-01-01 10:00:00",0,,"United Kingdom"',
        '"600003","33333","DAMAGED",3,"2011-01-02 10:00:00",0,,"United Kingdom"',
        '"C600004","44444","MUG",-1,"2011-01-03 10:00:00",2,,"United Kingdom"',
        '"600007","POST","POSTAGE",1,"2011-01-01 08:00:00",18,,"United Kingdom"',
        // A guest bought it first, a customer later: a catalog item (title from the kept line), on sale since
        // the guest's line.
        '"600005","55555","BOWL",1,"2011-02-01 10:00:00",3.5,,"United Kingdom"',
        '"600006","55555","BOWL BLUE",2,"2011-04-01 10:00:00",3,12345,"United Kingdom"',
        '',
      ].join('\n'),
    );
    const data = await loadOnlineRetail(file);
    expect(data.items).toEqual([
      { id: '55555', title: 'BOWL BLUE', price: 3, availableFrom: new Date('2011-02-01T10:00:00Z') },
    ]);
    expect(data.unsold).toEqual([
      { id: '11111', title: 'GLASS STAR', price: 1.25, availableFrom: new Date('2011-03-04T09:00:00Z') },
    ]);
  });

  it('derives event ids from invoice, stock code and line', () => {
    expect(onlineRetailEventId({ invoiceNo: '1', stockCode: 'X', invoiceLine: 3 })).toBe('or:1:X:3');
  });
});
