import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../../../src/formats/csv/index.ts';
import type { CsvOptions } from '../../../src/formats/csv/index.ts';

const corpus = fileURLToPath(new URL('../../../../shared/corpus/csv/', import.meta.url));

async function records(name: string, options: CsvOptions) {
  const out = [];
  for await (const record of readCsv(readFileSync(corpus + name), options, name)) out.push(record);
  return out;
}

describe('real files (../shared/corpus/csv)', () => {
  it('bots-alto-header-noheaderrow.csv: headerless CRLF, mixed quoting', async () => {
    const rows = await records('bots-alto-header-noheaderrow.csv', { header: false });
    expect(rows).toHaveLength(4);
    expect(rows[0]?.fields).toMatchObject({ col1: '102561333', col3: 'CCYYMMDD', col6: 'P313455', col9: '379.37' });
    expect(rows[3]?.provenance).toEqual({ file: 'bots-alto-header-noheaderrow.csv', line: 4, lineEnd: 4 });
  });

  it('bots-alto-detail-noheaderrow.csv: headerless, quoted item codes', async () => {
    const rows = await records('bots-alto-detail-noheaderrow.csv', { header: false });
    expect(rows).toHaveLength(5);
    expect(rows[3]?.fields).toEqual({ col1: '102561343', col2: '10', col3: '5000.000', col4: '0.3637', col5: '1818.60', col6: '144MT' });
  });

  it('bots-orders-flat-allquoted.csv: every field quoted, empty quoted fields, 30 columns', async () => {
    const rows = await records('bots-orders-flat-allquoted.csv', { header: false });
    expect(rows.length).toBeGreaterThan(1);
    for (const row of rows) expect(Object.keys(row.fields)).toHaveLength(30);
    expect(rows[0]?.fields).toMatchObject({ col1: 'ORDERSD96AUNEAN008', col28: '', col30: '1.000' });
  });

  it('openboxes-warehouse-inventory-lot-bin.csv: header, quoted names with commas, empty column', async () => {
    const rows = await records('openboxes-warehouse-inventory-lot-bin.csv', {});
    expect(rows.length).toBeGreaterThan(10);
    expect(rows[1]?.fields).toMatchObject({
      'Product code': 'TS894',
      'Product name': 'Morphine injection, 10mg/mL in 1mL ampoule',
      'Lot number': '00392/174',
      'OB QOH': '',
    });
    expect(rows[0]?.provenance.line).toBe(2);
  });
});
