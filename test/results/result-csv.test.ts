import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvCell, describeSource, renderResultCsv, type FileOutcomeInput, type SourceRange } from '../../src/results/index.ts';

const PARTIAL: FileOutcomeInput = {
  fileId: 'f-20250304-0001',
  originalName: 'orders.csv',
  customer: 'acme',
  state: 'PARTIAL',
  documents: [
    {
      index: 1,
      source: { unit: 'line', first: 8, last: 8 },
      orderNumber: 'SO-2',
      outcome: 'REJECTED',
      engineStatus: 409,
      error: { code: 'DUPLICATE_ORDER_ITEM_KEY', message: 'DUPLICATE_ORDER_ITEM_KEY: lpn=LPNNEW, sku=SKUAPPEND' },
    },
    {
      index: 0,
      source: { unit: 'line', first: 2, last: 7 },
      orderNumber: 'SO-1',
      outcome: 'ACCEPTED',
      engineStatus: 201,
      created: [
        { type: 'ORDER', id: '12', reference: 'SO-1' },
        { type: 'ORDER_ITEM', id: '5', reference: 'L1' },
        { type: 'ORDER_ITEM', id: '6', reference: 'L2' },
      ],
      updated: [{ type: 'SHIPMENT', id: '7', reference: 'SH-1' }],
    },
    { index: 2, source: { unit: 'line', first: 9, last: 9 }, orderNumber: '=HYPERLINK("http://evil.example","click")', outcome: 'REJECTED', error: { code: 'MAPPING_REQUIRED_FIELD', message: 'line 9, column "facility": must not be empty' } },
  ],
};

describe('result CSV', () => {
  it('renders a header and one row per document in index order, with a BOM and CRLF (golden)', () => {
    expect(renderResultCsv(PARTIAL)).toBe(
      '\uFEFF' +
        'document_index,source,order_number,outcome,engine_status,created,updated,removed,error_code,error_message\r\n' +
        '0,lines 2-7,SO-1,ACCEPTED,201,"ORDER 12; ORDER_ITEM 5,6",SHIPMENT 7,,,\r\n' +
        '1,line 8,SO-2,REJECTED,409,,,,DUPLICATE_ORDER_ITEM_KEY,"DUPLICATE_ORDER_ITEM_KEY: lpn=LPNNEW, sku=SKUAPPEND"\r\n' +
        `2,line 9,"'=HYPERLINK(""http://evil.example"",""click"")",REJECTED,,,,,MAPPING_REQUIRED_FIELD,"line 9, column ""facility"": must not be empty"\r\n`,
    );
  });

  it('re-parses with csv-parse to exactly the cells written', () => {
    const rows = parse(renderResultCsv(PARTIAL), { bom: true }) as string[][];
    expect(rows).toHaveLength(4);
    expect(rows[1]).toEqual(['0', 'lines 2-7', 'SO-1', 'ACCEPTED', '201', 'ORDER 12; ORDER_ITEM 5,6', 'SHIPMENT 7', '', '', '']);
    expect(rows[3]![2]).toBe(`'=HYPERLINK("http://evil.example","click")`);
    expect(rows[3]![9]).toBe('line 9, column "facility": must not be empty');
  });

  it.each([
    ['=1+1', "'=1+1"],
    ['+1', "'+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tx', "'\tx"],
    ['\r=1', `"'\r=1"`],
    ['＝HYPERLINK("http://evil.example")', `"'＝HYPERLINK(""http://evil.example"")"`],
    ['＋1', "'＋1"],
    ['－2', "'－2"],
    ['＠SUM(A1)', "'＠SUM(A1)"],
    ['SO-1', 'SO-1'],
    ['a"b', '"a""b"'],
    ['line\nbreak', '"line\nbreak"'],
    ['Müller', 'Müller'],
  ])('cell %j is written as %j (OWASP CSV injection, RFC 4180 quoting)', (value, written) => {
    expect(csvCell(value)).toBe(written);
  });

  it('puts a file-level error first, with the file state as its outcome, before the skipped documents', () => {
    const csv = renderResultCsv(
      {
        fileId: 'f2',
        originalName: 'orders.csv',
        customer: 'acme',
        state: 'REJECTED',
        error: { code: 'CSV_INVALID_CLOSING_QUOTE', message: 'invalid closing quote', place: { file: 'orders.csv', line: 14, column: 3 } },
        documents: [{ index: 0, outcome: 'SKIPPED' }],
      },
      { bom: false },
    );
    expect(parse(csv)).toEqual([
      ['document_index', 'source', 'order_number', 'outcome', 'engine_status', 'created', 'updated', 'removed', 'error_code', 'error_message'],
      ['', 'line 14, column "3"', '', 'REJECTED', '', '', '', '', 'CSV_INVALID_CLOSING_QUOTE', 'invalid closing quote'],
      ['0', '', '', 'SKIPPED', '', '', '', '', '', ''],
    ]);
    expect(csv.startsWith('document_index')).toBe(true);
  });

  it('a duplicate file without a recorded error still says why', () => {
    const rows = parse(renderResultCsv({ fileId: 'f3', originalName: 'orders.csv', customer: 'acme', state: 'DUPLICATE' }), { bom: true }) as string[][];
    expect(rows[1]).toMatchObject({ 3: 'DUPLICATE', 8: 'DUPLICATE_FILE' });
  });

  it('test-mode rows say TEST_ONLY and carry no ids', () => {
    const rows = parse(
      renderResultCsv({ fileId: 'f4', originalName: 'o.csv', customer: 'acme', state: 'COMPLETED', testMode: true, documents: [{ index: 0, orderNumber: 'SO-1', outcome: 'TEST_ONLY', source: { unit: 'segment', first: 12, last: 40 } }] }),
      { bom: true },
    ) as string[][];
    expect(rows[1]).toEqual(['0', 'segments 12-40', 'SO-1', 'TEST_ONLY', '', '', '', '', '', '']);
  });

  const singles = (unit: SourceRange['unit'], count: number): SourceRange => ({ unit, ranges: Array.from({ length: count }, (_, i): [number, number] => [2 * i + 1, 2 * i + 1]) });
  it.each<[string, SourceRange, string]>([
    ['one line', { unit: 'line', ranges: [[5, 5]] }, 'line 5'],
    ['adjacent lines', { unit: 'line', ranges: [[2, 4]] }, 'lines 2-4'],
    ['lines apart', { unit: 'line', ranges: [[2, 4], [7, 7], [9, 12]] }, 'lines 2-4, 7, 9-12'],
    ['segments apart', { unit: 'segment', ranges: [[20, 31], [34, 39]] }, 'segments 20-31, 34-39'],
    ['20 ranges, all shown', singles('line', 20), `lines ${singles('line', 20).ranges.map(([a]) => a).join(', ')}`],
    ['one range past the cap', singles('line', 21), `lines ${singles('line', 20).ranges.map(([a]) => a).join(', ')} … and 1 more line`],
    ['segments past the cap', { unit: 'segment', ranges: [...singles('segment', 20).ranges, [100, 149]] }, `segments ${singles('segment', 20).ranges.map(([a]) => a).join(', ')} … and 50 more segments`],
  ])('names the source of %s exactly', (_what, source, text) => {
    expect(describeSource(source)).toBe(text);
  });
});
