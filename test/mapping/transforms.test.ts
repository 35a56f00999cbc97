import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { parseLookupTable } from '../../src/mapping/lookup-table.ts';
import { findTransform } from '../../src/mapping/transforms/transform-catalog.ts';
import { ConfigProblem, TransformError, type TransformContext } from '../../src/mapping/transforms/transform-definition.ts';

const context: TransformContext = {
  timeZone: 'UTC',
  readTable: (name) => (name === 'skus.csv' ? parseLookupTable(name, 'customer_sku,sku\nW-100,SKU-100\nw-200,SKU-200\n') : undefined),
};

function run(name: string, options: unknown, value: unknown, ctx: TransformContext = context): unknown {
  const def = findTransform(name);
  if (!def) throw new Error(`no transform ${name}`);
  return def.compile(options, ctx)(value);
}

function failure(name: string, options: unknown, value: unknown): TransformError {
  try {
    run(name, options, value);
  } catch (e) {
    if (e instanceof TransformError) return e;
    throw e;
  }
  throw new Error(`${name} accepted ${JSON.stringify(value)}`);
}

describe('text transforms', () => {
  it('trim removes spaces, tabs and non-breaking spaces at both ends', () => {
    expect(run('trim', undefined, ' \tA B\u00a0 ')).toBe('A B');
  });
  it('upper and lower change case, and take numbers as text', () => {
    expect(run('upper', undefined, 'abc-ß')).toBe('ABC-SS');
    expect(run('lower', undefined, 'ÄBC')).toBe('äbc');
    expect(run('upper', undefined, 12)).toBe('12');
  });
  it('title capitalises each word and keeps apostrophes inside words', () => {
    expect(run('title', undefined, "ACME CORP o'neil-smith")).toBe("Acme Corp O'neil-Smith");
  });
});

describe('number', () => {
  it('reads plain decimals and signs', () => {
    expect(run('number', undefined, '12')).toBe(12);
    expect(run('number', undefined, ' -3.25 ')).toBe(-3.25);
    expect(run('number', undefined, '.5')).toBe(0.5);
  });
  it('reads thousands separators only in groups of three', () => {
    expect(run('number', undefined, '1,234,567.5')).toBe(1234567.5);
    expect(failure('number', undefined, '1,5').message).toContain('decimalComma: true');
  });
  it('reads decimal commas with decimalComma: true', () => {
    expect(run('number', { decimalComma: true }, '1.234,5')).toBe(1234.5);
    expect(run('number', { decimalComma: true }, '7,25')).toBe(7.25);
    expect(run('number', { decimalComma: true }, "1'234")).toBe(1234);
  });
  it('keeps every grouping that starts with a non-zero group, in both modes', () => {
    expect(run('number', undefined, '1,250')).toBe(1250);
    expect(run('number', undefined, '-12,345.5')).toBe(-12345.5);
    expect(run('number', undefined, '100 000')).toBe(100000);
    expect(run('number', { decimalComma: true }, '1.250')).toBe(1250);
    expect(run('number', { decimalComma: true }, '12.345,5')).toBe(12345.5);
    expect(run('number', undefined, '0.250')).toBe(0.25);
    expect(run('number', { decimalComma: true }, '0,250')).toBe(0.25);
  });
  it('refuses a "grouping" whose first group is 0 (a decimal in the other mark), with the hint, not 1000 times the value', () => {
    for (const text of ['0,250', '0,001', '00,250', '-0,5', '012,345', '0 250']) {
      const e = failure('number', undefined, text);
      expect(e.code, text).toBe('MAPPING_NOT_A_NUMBER');
    }
    expect(failure('number', undefined, '0,001').message).toBe(
      'expected a number, got "0,001" (if comma is the decimal mark, set number: { decimalComma: true })',
    );
    expect(failure('integer', undefined, '0,250').code).toBe('MAPPING_NOT_A_NUMBER');
    for (const text of ['0.250', '0.001', '00.250', '0.250,5']) {
      expect(failure('number', { decimalComma: true }, text).code, text).toBe('MAPPING_NOT_A_NUMBER');
    }
    expect(failure('number', { decimalComma: true }, '0.250').message).toBe(
      'expected a number, got "0.250" (if dot is the decimal mark, remove decimalComma: true)',
    );
  });
  it('refuses words with MAPPING_NOT_A_NUMBER and the value', () => {
    const e = failure('number', undefined, 'ten');
    expect(e.code).toBe('MAPPING_NOT_A_NUMBER');
    expect(e.message).toBe('expected a number, got "ten"');
  });
});

describe('integer', () => {
  it('accepts whole numbers, also written with .0', () => {
    expect(run('integer', undefined, '42')).toBe(42);
    expect(run('integer', undefined, '2.0')).toBe(2);
  });
  it('rejects fractions', () => {
    const e = failure('integer', undefined, '2.5');
    expect(e.code).toBe('MAPPING_NOT_AN_INTEGER');
    expect(e.message).toBe('expected a whole number, got "2.5"');
  });
  it('rejects words as numbers', () => {
    expect(failure('integer', undefined, 'x').code).toBe('MAPPING_NOT_A_NUMBER');
  });
});

describe('date', () => {
  it('turns a date-only format into yyyy-MM-dd', () => {
    expect(run('date', 'dd.MM.yyyy', '31.12.2024')).toBe('2024-12-31');
    expect(run('date', 'yyyyMMdd', '20240229')).toBe('2024-02-29');
  });
  it('turns a date-time in a zone into ISO 8601 UTC', () => {
    expect(run('date', { format: 'MM/dd/yy HH:mm', zone: 'America/Chicago' }, '07/04/24 13:30')).toBe('2024-07-04T18:30:00Z');
    expect(run('date', { format: 'yyyyMMddHHmm', zone: 'Europe/Berlin' }, '202401151200')).toBe('2024-01-15T11:00:00Z');
  });
  it("uses the customer's zone when the transform names none", () => {
    expect(run('date', 'yyyy-MM-dd HH:mm', '2024-07-04 12:00', { ...context, timeZone: 'Asia/Tokyo' })).toBe('2024-07-04T03:00:00Z');
  });
  it('tries several formats in order', () => {
    const options = { format: ['MM/dd/yyyy HH:mm', 'MM/dd/yyyy'] };
    expect(run('date', options, '03/01/2024')).toBe('2024-03-01');
    expect(run('date', options, '03/01/2024 08:15')).toBe('2024-03-01T08:15:00Z');
  });
  it('gives a date-time for a date-only format with output: datetime (midnight in the zone)', () => {
    expect(run('date', { format: 'yyyyMMdd', zone: 'America/New_York', output: 'datetime' }, '20240105')).toBe('2024-01-05T05:00:00Z');
  });
  it('reads ISO 8601 without a format', () => {
    expect(run('date', undefined, '2024-05-06')).toBe('2024-05-06');
    expect(run('date', undefined, '2024-05-06T10:00:00+02:00')).toBe('2024-05-06T08:00:00Z');
  });
  it('reads month names (MMM, MMMM) in any case, next to numeric tokens', () => {
    expect(run('date', 'dd-MMM-yy', '03-MAR-25')).toBe('2025-03-03');
    expect(run('date', 'dd MMM yyyy', '03 Mar 2025')).toBe('2025-03-03');
    expect(run('date', 'MMMM d, yyyy', 'March 3, 2025')).toBe('2025-03-03');
    expect(run('date', { format: 'dd-MMM-yyyy HH:mm', zone: 'America/Chicago' }, '10-Mar-2025 08:30')).toBe('2025-03-10T13:30:00Z');
    expect(failure('date', 'dd-MMM-yy', '30-FEB-25').code).toBe('MAPPING_BAD_DATE');
  });
  it('rejects impossible dates, naming the expected format', () => {
    const e = failure('date', 'dd.MM.yyyy', '31.02.2024');
    expect(e.code).toBe('MAPPING_BAD_DATE');
    expect(e.message).toBe('expected a date like dd.MM.yyyy, got "31.02.2024"');
  });
  it('refuses an unknown time zone when compiling', () => {
    expect(() => findTransform('date')!.compile({ format: 'yyyy', zone: 'Mars/Olympus' }, context)).toThrow(ConfigProblem);
  });
});

describe('default', () => {
  it('fills empty values and leaves others alone', () => {
    expect(run('default', 'EA', '')).toBe('EA');
    expect(run('default', 'EA', undefined)).toBe('EA');
    expect(run('default', 'EA', 'CS')).toBe('CS');
    expect(findTransform('default')!.acceptsEmpty).toBe(true);
  });
});

describe('pad', () => {
  it('pads left with zeros by default and never truncates', () => {
    expect(run('pad', 6, '42')).toBe('000042');
    expect(run('pad', 2, '12345')).toBe('12345');
  });
  it('pads right with a chosen character', () => {
    expect(run('pad', { width: 5, char: '_', side: 'right' }, 'ab')).toBe('ab___');
  });
});

describe('replace', () => {
  it('replaces every occurrence of literal text, including regex characters', () => {
    expect(run('replace', { find: '.', with: '' }, '1.2.3')).toBe('123');
  });
  it('replaces a regular expression with groups', () => {
    expect(run('replace', { regex: '^0+(\\d)', with: '$1' }, '000123')).toBe('123');
  });
  it('refuses an invalid regular expression when compiling', () => {
    expect(() => findTransform('replace')!.compile({ regex: '(' }, context)).toThrow(/invalid regular expression/);
  });
});

describe('substring', () => {
  it('takes start and end, or start and length, negative from the end', () => {
    expect(run('substring', { start: 2, end: 5 }, 'ABCDEFG')).toBe('CDE');
    expect(run('substring', { start: 1, length: 3 }, 'ABCDEFG')).toBe('BCD');
    expect(run('substring', { start: -3 }, 'ABCDEFG')).toBe('EFG');
  });
});

describe('split', () => {
  it('splits into a trimmed list without empty parts (caseSerials)', () => {
    expect(run('split', undefined, 'S1, S2,,S3 ')).toEqual(['S1', 'S2', 'S3']);
    expect(run('split', ' ', 'A  B')).toEqual(['A', 'B']);
  });
  it('takes one part with index, negative from the end', () => {
    expect(run('split', { separator: '-', index: 1 }, 'PO-123-A')).toBe('123');
    expect(run('split', { separator: '-', index: -1 }, 'PO-123-A')).toBe('A');
    expect(run('split', { separator: '-', index: 5 }, 'PO-123')).toBe('');
  });
});

describe('map', () => {
  const values = { CA: 'CASE', EA: 'UNIT' };
  it('translates values from its table', () => {
    expect(run('map', { values }, 'CA')).toBe('CASE');
    expect(run('map', { values, ignoreCase: true }, 'ea')).toBe('UNIT');
  });
  it('rejects a value not in the table by default, listing the known ones', () => {
    const e = failure('map', { values }, 'PL');
    expect(e.code).toBe('MAPPING_UNMAPPED_VALUE');
    expect(e.message).toBe('"PL" is not one of the mapped values (CA, EA)');
  });
  it('keeps or defaults a miss when told to', () => {
    expect(run('map', { values, onMiss: 'keep' }, 'PL')).toBe('PL');
    expect(run('map', { values, onMiss: 'default', default: 'OTHER' }, 'PL')).toBe('OTHER');
  });
});

describe('boolean', () => {
  it('reads Y/N, yes/no, 1/0, true/false in any case', () => {
    for (const word of ['Y', 'yes', '1', 'TRUE', 't']) expect(run('boolean', undefined, word)).toBe(true);
    for (const word of ['n', 'No', '0', 'false', 'F']) expect(run('boolean', undefined, word)).toBe(false);
  });
  it('takes its own words', () => {
    expect(run('boolean', { true: ['HAZ'], false: ['-'] }, 'haz')).toBe(true);
  });
  it('rejects other words', () => {
    const e = failure('boolean', undefined, 'maybe');
    expect(e.code).toBe('MAPPING_BAD_BOOLEAN');
    expect(e.message).toContain('got "maybe"');
  });
});

describe('lookup', () => {
  const options = { table: 'skus.csv', key: 'customer_sku', value: 'sku' };
  it('replaces a value by the table column', () => {
    expect(run('lookup', options, 'W-100')).toBe('SKU-100');
    expect(run('lookup', { ...options, ignoreCase: true }, 'W-200')).toBe('SKU-200');
  });
  it('rejects a miss by default, keeps or defaults it when told', () => {
    const e = failure('lookup', options, 'X-1');
    expect(e.code).toBe('MAPPING_LOOKUP_MISS');
    expect(e.message).toBe('"X-1" is not in skus.csv (column customer_sku)');
    expect(run('lookup', { ...options, onMiss: 'keep' }, 'X-1')).toBe('X-1');
    expect(run('lookup', { ...options, onMiss: 'default', default: 'UNKNOWN' }, 'X-1')).toBe('UNKNOWN');
  });
  it('refuses a missing table or column when compiling', () => {
    expect(() => findTransform('lookup')!.compile({ ...options, table: 'nope.csv' }, context)).toThrow(/not in the customer folder/);
    expect(() => findTransform('lookup')!.compile({ ...options, value: 'price' }, context)).toThrow(/no column "price" \(its columns: customer_sku, sku\)/);
  });
});

describe('date reads numeric formats without luxon, with the same results as luxon', () => {
  const luxonDate = (text: string, format: string, zone: string, asDate: boolean): string | undefined => {
    const dt = DateTime.fromFormat(text, format, { zone, locale: 'en-US' });
    if (!dt.isValid) return undefined;
    return asDate ? dt.toFormat('yyyy-MM-dd') : dt.toUTC().toISO({ suppressMilliseconds: true })!;
  };
  const ours = (text: string, format: string, zone: string, asDate: boolean): string | undefined => {
    try {
      return run('date', { format, zone, output: asDate ? 'date' : 'datetime' }, text) as string;
    } catch (e) {
      if (e instanceof TransformError) return undefined;
      throw e;
    }
  };

  it('agrees on valid, impossible and daylight-saving dates', () => {
    const formats = ['dd.MM.yyyy', 'yyyyMMdd', 'MM/dd/yy HH:mm', 'd.M.yyyy H:mm:ss', 'yyyyMMddHHmm'];
    const zones = ['UTC', 'America/Chicago', 'Europe/Berlin'];
    const start = DateTime.fromISO('1999-12-25T00:00', { zone: 'UTC' });
    const samples: DateTime[] = [];
    for (let i = 0; i < 150; i++) samples.push(start.plus({ days: i * 61, minutes: i * 37 }));
    samples.push(DateTime.fromISO('2024-03-10T02:30', { zone: 'UTC' }), DateTime.fromISO('2024-03-31T02:30', { zone: 'UTC' }));
    let compared = 0;
    for (const format of formats) {
      const texts = samples.map((d) => d.toFormat(format));
      texts.push('31.02.2024', '20230229', '13/01/24 10:00', '1.1.2024 24:00:00', '202401011260', '2024', '');
      for (const zone of zones) {
        for (const text of texts) {
          for (const asDate of [true, false]) {
            expect(ours(text, format, zone, asDate), `${text} ${format} ${zone}`).toBe(luxonDate(text, format, zone, asDate));
            compared++;
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(4_000);
  });
});
