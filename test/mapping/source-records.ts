import type { SourceRecord } from '../../src/formats/record.ts';

/** CSV-like records: a header row on line 1, then one record per row from line 2, as the CSV reader gives them. */
export function csvRecords(file: string, header: string[], rows: string[][]): SourceRecord[] {
  return rows.map((row, i) => ({
    fields: Object.fromEntries(header.map((h, j) => [h, row[j] ?? ''])),
    provenance: { file, line: i + 2 },
  }));
}

/** X12-like records: one per item, as an 856 flattener gives them, numbered by segment. */
export function x12Records(file: string, items: Record<string, string>[], options: { test?: boolean; firstSegment?: number; segmentsPerItem?: number } = {}): SourceRecord[] {
  const per = options.segmentsPerItem ?? 4;
  let segment = options.firstSegment ?? 5;
  return items.map((fields) => {
    const record: SourceRecord = {
      fields,
      provenance: { file, segment, segmentEnd: segment + per - 1, transactionSet: '856', ...(options.test ? { test: true } : {}) },
    };
    segment += per;
    return record;
  });
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
