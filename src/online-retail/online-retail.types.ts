/** One kept line of the Online Retail file, as the evaluation protocol sees it. */
export interface Purchase {
  /** `or:<InvoiceNo>:<StockCode>:<line index within the invoice>`: same file ⇒ same ids, unique per line. */
  eventId: string;
  /** CustomerID as an integer string, e.g. "17850". */
  userId: string;
  /** StockCode. */
  itemId: string;
  invoiceNo: string;
  /** InvoiceDate read as UTC (the file has no zone; UTC keeps the split independent of the host's TZ). */
  timestamp: Date;
  quantity: number;
}

export interface OnlineRetailItem {
  /** StockCode. */
  id: string;
  /** Most frequent Description among the kept lines; ties → lexicographically smallest. */
  title: string;
  /** Most frequent UnitPrice (GBP) among the kept lines; ties → the lower price. */
  price: number;
  /** When the product went on sale: its first line in the file (any line, guests' and cancellations too). */
  availableFrom: Date;
}

export interface OnlineRetailData {
  /** Every StockCode that has at least one kept line, sorted by id. */
  items: OnlineRetailItem[];
  /**
   * The shop's other products: StockCodes sold only to guests (lines with a price and a quantity, no
   * CustomerID, not cancelled), so no kept line names them — the catalog's dead stock. Title and price are
   * taken from those lines as for `items`; sorted by id. Not part of the evaluation protocol's catalog.
   */
  unsold: OnlineRetailItem[];
  /** Kept lines in file order. */
  purchases: Purchase[];
}

/** A raw, typed line of the CSV, before cleaning. */
export interface OnlineRetailRow {
  invoiceNo: string;
  stockCode: string;
  /** Empty string when the file has none. */
  description: string;
  quantity: number;
  /** As written in the file: `YYYY-MM-DD HH:MM:SS`. */
  invoiceDate: string;
  unitPrice: number;
  /** Integer string, or null when the line has no customer. */
  customerId: string | null;
  country: string;
  /** 0-based position of this line among all lines of its invoice, in file order. */
  invoiceLine: number;
  /** 0-based index of the data record in the file (header excluded), for error messages. */
  recordIndex: number;
}

export interface LoadProgress {
  rowsRead: number;
  purchasesKept: number;
}
