import * as fs from 'node:fs';
import * as readline from 'node:readline';
import * as zlib from 'node:zlib';
import { parse } from 'csv-parse';

/** A record read from an import file, with its 1-based line (NDJSON) or record number (CSV) for messages. */
export interface FileRecord {
  at: number;
  value: Record<string, unknown>;
}

function openText(file: string): NodeJS.ReadableStream {
  const raw = fs.createReadStream(file);
  return file.endsWith('.gz') ? raw.pipe(zlib.createGunzip()) : raw;
}

export function isCsv(file: string): boolean {
  return /\.csv(\.gz)?$/i.test(file);
}

/**
 * NDJSON (one JSON object per line) or CSV with a header row. CSV cells are strings; the caller's
 * `coerceCsv` turns them into the typed shape the API schema expects.
 */
export async function* readRecords(file: string): AsyncGenerator<FileRecord> {
  if (!fs.existsSync(file)) throw new Error(`No such file: ${file}`);
  if (isCsv(file)) {
    const parser = openText(file).pipe(
      parse({ columns: true, skip_empty_lines: true, trim: true, bom: true }),
    );
    let n = 0;
    for await (const rec of parser as AsyncIterable<Record<string, string>>) {
      n += 1;
      yield { at: n, value: rec };
    }
    return;
  }
  const lines = readline.createInterface({ input: openText(file), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n += 1;
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`${file}:${n}: not valid JSON`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new Error(`${file}:${n}: each line must be a JSON object`);
    }
    yield { at: n, value: value as Record<string, unknown> };
  }
}

/** CSV cells → typed values for the known numeric/boolean columns; empty cells are dropped (= field absent). */
export function coerceCsv(
  rec: Record<string, unknown>,
  numeric: string[],
  booleans: string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rec)) {
    if (v === '' || v === undefined) continue;
    if (k.startsWith('attributes.')) {
      const attrs = (out.attributes ??= {}) as Record<string, unknown>;
      attrs[k.slice('attributes.'.length)] = v;
    } else if (numeric.includes(k)) out[k] = Number(v);
    else if (booleans.includes(k)) out[k] = v === 'true' ? true : v === 'false' ? false : v;
    else out[k] = v;
  }
  return out;
}
