import { parse } from 'csv-parse/sync';

/** A lookup table: a small CSV file in the customer's folder, read whole at load time. */
export interface LookupTable {
  name: string;
  columns: string[];
  rows: Record<string, string>[];
}

/** Parses a lookup table's text (header row first). Pure: the file is read by load-mappings.ts. */
export function parseLookupTable(name: string, text: string): LookupTable {
  const rows = parse(text, { columns: true, bom: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  const header = parse(text, { bom: true, to_line: 1, trim: true }) as string[][];
  return { name, columns: header[0] ?? [], rows };
}
