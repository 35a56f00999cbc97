import { describe, expect, it } from 'vitest';
import { CsvOptionsSchema, resolveCsvOptions } from '../../../src/formats/csv/index.ts';

describe('options', () => {
  it('resolves {} to a complete object with every default', () => {
    expect(resolveCsvOptions({})).toEqual({
      encoding: 'auto',
      delimiter: 'auto',
      header: true,
      skipLines: 0,
      skipWhen: [],
      duplicateHeaders: 'error',
      relaxColumnCount: false,
      relaxQuotes: false,
      maxRecordBytes: 1048576,
    });
  });

  it('folds headerLine into skipLines, names into canonical values, and one rule into a list of compiled rules', () => {
    const resolved = resolveCsvOptions({ headerLine: 4, delimiter: 'Semicolon', encoding: 'UTF8', skipWhen: { matches: '^T' } });
    expect(resolved).toMatchObject({ skipLines: 3, delimiter: ';', encoding: 'utf-8' });
    expect(resolved.skipWhen).toEqual([{ column: 0, pattern: /^T/ }]);
  });

  it('is a zod schema mapping can embed', () => {
    expect(CsvOptionsSchema.safeParse({ header: false, skipLines: 2 }).success).toBe(true);
    expect(CsvOptionsSchema.safeParse({ maxRecordBytes: 10 }).success).toBe(false);
  });
});
