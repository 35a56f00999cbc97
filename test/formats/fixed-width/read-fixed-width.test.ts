import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { FIXED_WIDTH_ERROR_CODES } from '../../../src/formats/fixed-width/fixed-width-error-codes.ts';
import { impliedDecimal } from '../../../src/formats/fixed-width/fixed-width-parser.ts';
import { parseFixedWidth, readFixedWidth, type FixedWidthOptionsInput } from '../../../src/formats/fixed-width/read-fixed-width.ts';
import { intakeErrorOf } from '../../support/intake-error-of.ts';

/** Header/detail/trailer order file: H = order header, D = line, T = order trailer with a detail count. */
const orders: FixedWidthOptionsInput = {
  tag: { start: 1, length: 1 },
  records: [
    {
      name: 'H',
      tag: 'H',
      role: 'header',
      fields: [
        { name: 'orderNumber', start: 2, length: 8 },
        { name: 'customer', start: 10, end: 19 },
      ],
    },
    {
      name: 'D',
      tag: 'D',
      fields: [
        { name: 'sku', start: 2, length: 6 },
        { name: 'quantity', start: 8, length: 5 },
        { name: 'price', start: 13, length: 7, decimals: 2 },
      ],
    },
    { name: 'T', tag: 'T', role: 'trailer', count: { field: 'lines' }, fields: [{ name: 'lines', start: 2, length: 4 }] },
  ],
};

const ordersFile = [
  'HORD00001ACME CORP ',
  'DSKU001000120000150',
  'DSKU002000030012345',
  'T0002',
  'HORD00002GLOBEX    ',
  'DSKU003000010000099',
  'T0001',
].join('\r\n');

async function* chunked(bytes: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

describe('header/detail/trailer flattening', () => {
  it('gives every detail its header fields under the header prefix, with the line each came from', async () => {
    const records = await parseFixedWidth(ordersFile, orders, 'orders.txt');
    expect(records).toEqual([
      {
        fields: { 'H.orderNumber': 'ORD00001', 'H.customer': 'ACME CORP', sku: 'SKU001', quantity: '00012', price: '1.50' },
        provenance: { file: 'orders.txt', line: 2, lineEnd: 2, fieldLines: { 'H.orderNumber': 1, 'H.customer': 1 } },
      },
      {
        fields: { 'H.orderNumber': 'ORD00001', 'H.customer': 'ACME CORP', sku: 'SKU002', quantity: '00003', price: '123.45' },
        provenance: { file: 'orders.txt', line: 3, lineEnd: 3, fieldLines: { 'H.orderNumber': 1, 'H.customer': 1 } },
      },
      {
        fields: { 'H.orderNumber': 'ORD00002', 'H.customer': 'GLOBEX', sku: 'SKU003', quantity: '00001', price: '0.99' },
        provenance: { file: 'orders.txt', line: 6, lineEnd: 6, fieldLines: { 'H.orderNumber': 5, 'H.customer': 5 } },
      },
    ]);
  });

  it('a configurable prefix names the header fields', async () => {
    const layout = structuredClone(orders);
    layout.records[0]!.prefix = 'order_';
    const [first] = await parseFixedWidth(ordersFile, layout, 'orders.txt');
    expect(first?.fields).toMatchObject({ order_orderNumber: 'ORD00001', order_customer: 'ACME CORP' });
  });

  it('a trailer whose count differs from its details is FW_TRAILER_COUNT_MISMATCH at the trailer line', async () => {
    const error = await intakeErrorOf(parseFixedWidth(ordersFile.replace('T0002', 'T0003'), orders, 'orders.txt'));
    expect(error.code).toBe('FW_TRAILER_COUNT_MISMATCH');
    expect(error.value.place).toEqual({ file: 'orders.txt', line: 4, field: 'lines' });
    expect(error.message).toContain('says 3 detail records, but there are 2');
  });

  it('a trailer without a count check is simply passed over', async () => {
    const layout = structuredClone(orders);
    delete layout.records[2]!.count;
    const records = await parseFixedWidth(ordersFile.replace('T0002', 'TXXXX'), layout, 'orders.txt');
    expect(records).toHaveLength(3);
  });

  it('a detail before any header is FW_DETAIL_WITHOUT_HEADER', async () => {
    const error = await intakeErrorOf(parseFixedWidth('DSKU001000120000150\nHORD00001ACME CORP ', orders, 'orders.txt'));
    expect(error.code).toBe('FW_DETAIL_WITHOUT_HEADER');
    expect(error.value.place.line).toBe(1);
  });

  it('a detail after its group was closed by a trailer is FW_DETAIL_WITHOUT_HEADER', async () => {
    const error = await intakeErrorOf(parseFixedWidth('HORD00001ACME CORP \nDSKU001000120000150\nT0001\nDSKU002000030012345', orders, 'o.txt'));
    expect(error.code).toBe('FW_DETAIL_WITHOUT_HEADER');
    expect(error.value.place.line).toBe(4);
  });

  it('a group that ends at the next header without its trailer is FW_MISSING_TRAILER at the line that opened it', async () => {
    const cut = ordersFile.replace('T0002\r\n', '');
    const error = await intakeErrorOf(parseFixedWidth(cut, orders, 'orders.txt'));
    expect(error.code).toBe('FW_MISSING_TRAILER');
    expect(error.value.place).toEqual({ file: 'orders.txt', line: 1 });
    expect(error.message).toContain('ends without its trailer record ("T") at the next "H" header at line 4');
  });

  it('a file cut after a complete detail (no trailer at the end) is FW_MISSING_TRAILER', async () => {
    const cut = ordersFile.split('\r\n').slice(0, 6).join('\r\n');
    const error = await intakeErrorOf(parseFixedWidth(cut, orders, 'orders.txt'));
    expect(error.code).toBe('FW_MISSING_TRAILER');
    expect(error.value.place).toEqual({ file: 'orders.txt', line: 5 });
    expect(error.message).toContain('at the end of the file');
  });

  it('an optional trailer may be left out; a file trailer without a file header still closes the whole file', async () => {
    const optional = structuredClone(orders);
    optional.records[2]!.optional = true;
    expect(await parseFixedWidth(ordersFile.replace('T0002\r\n', ''), optional, 'o.txt')).toHaveLength(3);

    const withFileTrailer: FixedWidthOptionsInput = {
      ...optional,
      records: [...optional.records, { name: 'E', tag: 'E', role: 'trailer', level: 0, fields: [] }],
    };
    expect(await parseFixedWidth(`${ordersFile}\r\nE`, withFileTrailer, 'o.txt')).toHaveLength(3);
    const error = await intakeErrorOf(parseFixedWidth(ordersFile, withFileTrailer, 'o.txt'));
    expect(error.code).toBe('FW_MISSING_TRAILER');
    expect(error.value.place.line).toBe(1);
  });

  it('a file trailer arriving while an order still lacks its trailer is FW_MISSING_TRAILER for the order', async () => {
    const layout: FixedWidthOptionsInput = {
      ...structuredClone(orders),
      records: [...structuredClone(orders).records, { name: 'E', tag: 'E', role: 'trailer', level: 0, fields: [] }],
    };
    const error = await intakeErrorOf(parseFixedWidth(`${ordersFile.replace(/\r\nT0001$/, '')}\r\nE`, layout, 'o.txt'));
    expect(error.code).toBe('FW_MISSING_TRAILER');
    expect(error.value.place.line).toBe(5);
    expect(error.message).toContain('at the "E" trailer at line 7');
  });

  it('a file header at level 0 and a file trailer counting all lines frame level-1 orders', async () => {
    const layout: FixedWidthOptionsInput = {
      ...structuredClone(orders),
      records: [
        ...structuredClone(orders).records,
        { name: 'F', tag: 'F', role: 'header', level: 0, fields: [{ name: 'sender', start: 2, length: 5 }] },
        { name: 'E', tag: 'E', role: 'trailer', level: 0, count: { field: 'n', counts: 'lines' }, fields: [{ name: 'n', start: 2, length: 3 }] },
      ],
    };
    const text = `FACME \n${ordersFile}\nE009`;
    const records = await parseFixedWidth(text, layout, 'o.txt');
    expect(records.map((record) => [record.fields['F.sender'], record.fields['H.orderNumber'], record.fields.sku])).toEqual([
      ['ACME', 'ORD00001', 'SKU001'],
      ['ACME', 'ORD00001', 'SKU002'],
      ['ACME', 'ORD00002', 'SKU003'],
    ]);
    const error = await intakeErrorOf(parseFixedWidth(`FACME \n${ordersFile}\nE008`, layout, 'o.txt'));
    expect(error.code).toBe('FW_TRAILER_COUNT_MISMATCH');
  });

  it('a continuation record adds its fields to the detail above it and extends its provenance', async () => {
    const layout = structuredClone(orders);
    layout.records.push({ name: 'N', tag: 'N', role: 'continuation', fields: [{ name: 'note', start: 2, length: 20, optional: true }] });
    const text = 'HORD00001ACME CORP \nDSKU001000120000150\nNfragile\nDSKU002000030012345\nT0002';
    const records = await parseFixedWidth(text, layout, 'o.txt');
    expect(records[0]).toEqual({
      fields: { 'H.orderNumber': 'ORD00001', 'H.customer': 'ACME CORP', sku: 'SKU001', quantity: '00012', price: '1.50', 'N.note': 'fragile' },
      provenance: { file: 'o.txt', line: 2, lineEnd: 3, fieldLines: { 'H.orderNumber': 1, 'H.customer': 1, 'N.note': 3 } },
    });
    expect(records[1]?.fields['N.note']).toBeUndefined();
    const repeated = await intakeErrorOf(parseFixedWidth('HORD00001ACME CORP \nDSKU001000120000150\nNa\nNb', layout, 'o.txt'));
    expect(repeated.code).toBe('FW_REPEATED_CONTINUATION');
    expect(repeated.value.place.line).toBe(4);
    const orphan = await intakeErrorOf(parseFixedWidth('Nfirst', layout, 'o.txt'));
    expect(orphan.code).toBe('FW_ORPHAN_CONTINUATION');
  });

  it('tags of different lengths share one tag area, the longest match winning', async () => {
    const layout: FixedWidthOptionsInput = {
      tag: { start: 1, length: 4 },
      records: [
        { name: 'LINE', tag: 'L', fields: [{ name: 'v', start: 2, length: 3 }] },
        { name: 'LONG', tag: 'LXYZ', fields: [{ name: 'w', start: 5, length: 1 }] },
      ],
      recordTypeField: 'recordType',
    };
    const records = await parseFixedWidth('L123\nLXYZ9', layout, 'f.txt');
    expect(records.map((record) => record.fields)).toEqual([
      { v: '123', recordType: 'LINE' },
      { w: '9', recordType: 'LONG' },
    ]);
  });
});

describe('lines and bytes', () => {
  const single: FixedWidthOptionsInput = {
    records: [
      {
        name: 'ROW',
        fields: [
          { name: 'code', start: 1, length: 4 },
          { name: 'name', start: 5, length: 10 },
        ],
      },
    ],
  };

  it('a single-layout file is one record per line; CRLF, LF and lone CR are all line breaks; blank lines are ignored', async () => {
    const records = await parseFixedWidth('A001Alpha     \r\nA002Beta      \n\n   \rA003Gamma     \r\n', single, 's.txt');
    expect(records.map((record) => [record.fields.code, record.fields.name, record.provenance.line])).toEqual([
      ['A001', 'Alpha', 1],
      ['A002', 'Beta', 2],
      ['A003', 'Gamma', 5],
    ]);
  });

  it('streams: a CRLF or a multi-byte character torn between chunks changes nothing', async () => {
    const bytes = Buffer.from('A001Zoë       \r\nA002Beta      \r\nA003Gamma     ', 'utf-8');
    for (const size of [1, 2, 3, 7]) {
      const records: string[] = [];
      for await (const record of readFixedWidth(chunked(bytes, size), single, 's.txt')) records.push(`${record.provenance.line}:${record.fields.name}`);
      expect(records).toEqual(['1:Zoë', '2:Beta', '3:Gamma']);
    }
  });

  it('skips the declared lines at the top, blank ones included', async () => {
    const records = await parseFixedWidth('REPORT OF THE DAY\n\nCODENAME      \nA001Alpha     ', { ...single, skipLines: 3 }, 's.txt');
    expect(records).toEqual([{ fields: { code: 'A001', name: 'Alpha' }, provenance: { file: 's.txt', line: 4, lineEnd: 4 } }]);
  });

  it('windows-1252 files decode through iconv-lite, and a UTF-8 BOM is removed', async () => {
    const latin = iconv.encode('A001Müller    \r\nA002Señor €   \r\n', 'windows-1252');
    const records = await parseFixedWidth(latin, { ...single, encoding: 'windows-1252' }, 'w.txt');
    expect(records.map((record) => record.fields.name)).toEqual(['Müller', 'Señor €']);
    const bom = await parseFixedWidth(Buffer.from('\uFEFFA001Alpha     ', 'utf-8'), single, 'b.txt');
    expect(bom[0]?.fields.code).toBe('A001');
  });

  it('a Windows file read as UTF-8 is FW_INVALID_ENCODING with a hint, not silent replacement characters', async () => {
    const error = await intakeErrorOf(parseFixedWidth(iconv.encode('A001Müller    ', 'windows-1252'), single, 'w.txt'));
    expect(error.code).toBe('FW_INVALID_ENCODING');
    expect(error.message).toContain('windows-1252');
  });

  it('positions may count bytes, for files padded by a byte-counting writer', async () => {
    const bytes = Buffer.from('A001Zoë      X', 'utf-8'); // "Zoë" + 6 spaces = 10 bytes, then X
    const layout: FixedWidthOptionsInput = {
      positions: 'bytes',
      records: [{ name: 'ROW', fields: [{ name: 'name', start: 5, length: 10 }, { name: 'flag', start: 15, length: 1 }] }],
    };
    const [record] = await parseFixedWidth(bytes, layout, 'b.txt');
    expect(record?.fields).toEqual({ name: 'Zoë', flag: 'X' });
  });

  it('byte positions that cut a multi-byte character are FW_SPLIT_CHARACTER naming the field, not U+FFFD in its value', async () => {
    const bytes = Buffer.from('A001M\xc3\xbcller\xe2\x82\xac  000012500\n', 'latin1'); // "Müller" is bytes 5-11, "€" bytes 12-14
    const layout = (nameEnd: number): FixedWidthOptionsInput => ({
      positions: 'bytes',
      records: [{ name: 'ROW', fields: [{ name: 'code', start: 1, length: 4 }, { name: 'name', start: 5, end: nameEnd }, { name: 'amount', start: nameEnd + 1, end: 25 }] }],
    });
    const error = await intakeErrorOf(parseFixedWidth(bytes, layout(12), 'b.txt'));
    expect(error.code).toBe('FW_SPLIT_CHARACTER');
    expect(error.value.place).toEqual({ file: 'b.txt', line: 1, field: 'name' });
    expect(error.message).toContain('positions 5-12 split the multi-byte character "€" (bytes 12-14)');
    expect(error.message).toContain('positions: characters');
    const [record] = await parseFixedWidth(bytes, layout(14), 'b.txt');
    expect(record?.fields).toEqual({ code: 'A001', name: 'Müller€', amount: '000012500' });
  });

  it('trims both sides by default; a field can keep its padding', async () => {
    const layout: FixedWidthOptionsInput = {
      records: [{ name: 'ROW', fields: [{ name: 'a', start: 1, length: 5 }, { name: 'b', start: 6, length: 5, trim: 'none' }, { name: 'c', start: 11, length: 5, trim: 'right' }] }],
    };
    const [record] = await parseFixedWidth('  x    y    z  ', layout, 't.txt');
    expect(record?.fields).toEqual({ a: 'x', b: '  y  ', c: '  z' });
  });

  it('a line longer than maxLineLength is FW_LINE_TOO_LONG', async () => {
    const error = await intakeErrorOf(parseFixedWidth('x'.repeat(100), { ...single, maxLineLength: 50 }, 'l.txt'));
    expect(error.code).toBe('FW_LINE_TOO_LONG');
  });

  it('a trailing DOS end-of-file mark (Ctrl-Z) is not data', async () => {
    const records = await parseFixedWidth('A001Alpha     \r\n\x1A', single, 'z.txt');
    expect(records).toHaveLength(1);
  });
});

describe('implied decimals', () => {
  it('inserts the decimal point, drops leading zeros, keeps trailing ones and the sign', () => {
    expect(impliedDecimal('000012345', 2)).toBe('123.45');
    expect(impliedDecimal('000012300', 2)).toBe('123.00');
    expect(impliedDecimal('5', 3)).toBe('0.005');
    expect(impliedDecimal('-0001250', 2)).toBe('-12.50');
    expect(impliedDecimal('0001250-', 2)).toBe('-12.50');
    expect(impliedDecimal('-000', 2)).toBe('0.00');
    expect(impliedDecimal('   ', 2)).toBe('');
    expect(impliedDecimal('12.50', 2)).toBeUndefined();
  });

  it('a field with implied decimals holding letters is FW_INVALID_NUMBER at the field', async () => {
    const error = await intakeErrorOf(parseFixedWidth('HORD00001ACME CORP \nDSKU00100012ABC0150', orders, 'o.txt'));
    expect(error.code).toBe('FW_INVALID_NUMBER');
    expect(error.value.place).toEqual({ file: 'o.txt', line: 2, field: 'price' });
    expect(error.message).toContain('positions 13-19');
  });
});

describe('refusals', () => {
  it('an unknown record tag is FW_UNKNOWN_RECORD_TYPE with the line, or skipped when asked', async () => {
    const text = 'HORD00001ACME CORP \nXgarbage\nDSKU001000120000150\nT0001';
    const error = await intakeErrorOf(parseFixedWidth(text, orders, 'o.txt'));
    expect(error.code).toBe('FW_UNKNOWN_RECORD_TYPE');
    expect(error.value.place).toEqual({ file: 'o.txt', line: 2 });
    expect(error.message).toContain('"X"');
    const records = await parseFixedWidth(text, { ...orders, unknownRecords: 'skip' }, 'o.txt');
    expect(records).toHaveLength(1);
  });

  it('a line shorter than a required field is FW_SHORT_LINE naming the field; relaxed, the missing part is blank', async () => {
    const text = 'HORD00001ACME\nDSKU00100012\nT0001';
    const error = await intakeErrorOf(parseFixedWidth(text, orders, 'o.txt'));
    expect(error.code).toBe('FW_SHORT_LINE');
    expect(error.value.place).toEqual({ file: 'o.txt', line: 1, field: 'customer' });
    const records = await parseFixedWidth(text, { ...orders, shortLines: 'pad' }, 'o.txt');
    expect(records[0]?.fields).toMatchObject({ 'H.customer': 'ACME', quantity: '00012', price: '' });
  });

  it('shortLines: pad refuses a right-aligned field the line end cuts (it lost characters, not blanks) as FW_SHORT_LINE', async () => {
    const layout = (qty: { decimals?: number; trim?: 'left'; optional?: boolean }): FixedWidthOptionsInput => ({
      shortLines: 'pad',
      records: [{ name: 'ROW', fields: [{ name: 'code', start: 1, length: 4 }, { name: 'name', start: 5, length: 10 }, { name: 'qty', start: 15, length: 9, ...qty }] }],
    });
    const cut = 'A003Zoë       00001'; // qty 000012500 cut after 5 of its 9 digits
    for (const qty of [{ decimals: 3 }, { trim: 'left' as const }, { decimals: 3, optional: true }]) {
      const error = await intakeErrorOf(parseFixedWidth(cut, layout(qty), 'p.txt'));
      expect(error.code).toBe('FW_SHORT_LINE');
      expect(error.value.place).toEqual({ file: 'p.txt', line: 1, field: 'qty' });
      expect(error.message).toContain('is 19 characters long and ends inside field "qty" (positions 15-23)');
    }
    const [wholly, blank] = await parseFixedWidth('A003Zoë\nA004Zoë          ', layout({ decimals: 3 }), 'p.txt');
    expect(wholly?.fields).toEqual({ code: 'A003', name: 'Zoë', qty: '' });
    expect(blank?.fields).toEqual({ code: 'A004', name: 'Zoë', qty: '' });
  });

  it('a fixed-width error reads as line and field, its positions in the message, never a position shown as a column name', async () => {
    const error = await intakeErrorOf(parseFixedWidth('HORD00001ACME\nT0000', orders, 'o.txt'));
    expect(error.message).toBe('o.txt line 1, field customer: the H record is 13 characters long, but field "customer" needs positions 10-19');
  });

  it('an optional field may be missing from a short line without relaxing the others', async () => {
    const layout: FixedWidthOptionsInput = { records: [{ name: 'ROW', fields: [{ name: 'a', start: 1, length: 2 }, { name: 'note', start: 3, length: 10, optional: true }] }] };
    const records = await parseFixedWidth('AB\nCDhello', layout, 'o.txt');
    expect(records.map((record) => record.fields)).toEqual([{ a: 'AB', note: '' }, { a: 'CD', note: 'hello' }]);
  });

  it('a 0-byte file and a file of blank lines are FW_EMPTY_FILE', async () => {
    expect((await intakeErrorOf(parseFixedWidth(new Uint8Array(), orders, 'e.txt'))).code).toBe('FW_EMPTY_FILE');
    expect((await intakeErrorOf(parseFixedWidth('\r\n  \r\n', orders, 'e.txt'))).code).toBe('FW_EMPTY_FILE');
  });

  it('binary content (a zip sent instead of text) is FW_BINARY_CONTENT', async () => {
    const zip = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00]);
    const error = await intakeErrorOf(parseFixedWidth(zip, orders, 'x.txt'));
    expect(error.code).toBe('FW_BINARY_CONTENT');
    expect(error.value.place).toEqual({ file: 'x.txt', line: 1 });
    expect(error.message).toContain('control byte 0x03 at column 3');
  });

  it('an invalid layout is FW_INVALID_OPTIONS naming every problem', async () => {
    const error = await intakeErrorOf(
      parseFixedWidth('x', { tag: { start: 1, length: 1 }, records: [{ name: 'A', fields: [{ name: 'f', start: 1 }] }, { name: 'A', tag: 'A' }] }, 'o.txt'),
    );
    expect(error.code).toBe('FW_INVALID_OPTIONS');
    expect(error.message).toContain('exactly one of "length" or "end"');
    expect(error.message).toContain('declared twice');
    expect(error.message).toContain('needs a "tag"');
  });

  it('a misspelt key (decimal for decimals, shortLine) is FW_INVALID_OPTIONS naming it, not dropped for its default', async () => {
    const misspelt = { ...orders, shortLine: 'pad', records: [orders.records[0]!, { ...orders.records[1]!, fields: [{ name: 'price', start: 13, length: 7, decimal: 2 }] }, orders.records[2]!] };
    const error = await intakeErrorOf(parseFixedWidth(ordersFile, misspelt as FixedWidthOptionsInput, 'o.txt'));
    expect(error.code).toBe('FW_INVALID_OPTIONS');
    expect(error.message).toContain('records.1.fields.0: Unrecognized key: "decimal"');
    expect(error.message).toContain('Unrecognized key: "shortLine"');
  });

  it('every code raised is in the registry', () => {
    for (const code of ['FW_EMPTY_FILE', 'FW_BINARY_CONTENT', 'FW_SHORT_LINE', 'FW_SPLIT_CHARACTER', 'FW_UNKNOWN_RECORD_TYPE', 'FW_DETAIL_WITHOUT_HEADER', 'FW_TRAILER_COUNT_MISMATCH']) {
      expect(FIXED_WIDTH_ERROR_CODES).toHaveProperty(code);
    }
  });
});

describe('memory', () => {
  it('reads a large file in constant memory', async () => {
    const line = Buffer.from('DSKU001000120000150\n');
    const lines = 300_000;
    async function* big(): AsyncIterable<Uint8Array> {
      yield Buffer.from('HORD00001ACME CORP \n');
      const block = Buffer.concat(Array.from({ length: 1000 }, () => line));
      for (let i = 0; i < lines / 1000; i++) yield block;
    }
    globalThis.gc?.();
    const before = process.memoryUsage().heapUsed;
    let count = 0;
    let peak = 0;
    for await (const record of readFixedWidth(big(), { ...orders, records: orders.records.slice(0, 2) }, 'big.txt')) {
      count++;
      if (record.provenance.line! % 50_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed - before);
    }
    expect(count).toBe(lines);
    // 300k records of ~6 fields would be well over 100 MB if held; the reader keeps none of them.
    expect(peak).toBeLessThan(60 * 1024 * 1024);
  });
});
