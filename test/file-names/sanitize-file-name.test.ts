import { describe, expect, it } from 'vitest';
import { sanitizeFileName } from '../../src/file-names/sanitize-file-name.ts';

describe('sanitizeFileName: characters that are not shown as themselves', () => {
  it.each([
    ['a right-to-left override (shows as "exe.csv")', '\u202Evsc.exe', 'vsc.exe'],
    ['the other bidi embeddings and overrides', 'a\u202Ab\u202Bc\u202Cd\u202De.csv', 'abcde.csv'],
    ['bidi isolates', 'a\u2066b\u2067c\u2068d\u2069.csv', 'abcd.csv'],
    ['direction marks and the Arabic letter mark', 'a\u200Eb\u200Fc\u061Cd.csv', 'abcd.csv'],
    ['line and paragraph separators', 'orders\u2028fake log line\u2029.csv', 'ordersfake log line.csv'],
    ['zero-width characters, a soft hyphen and a byte-order mark', 'or\u200Bders\u00AD\u2060\uFEFF.csv', 'orders.csv'],
    ['a tag character (Cf outside the BMP)', 'orders\u{E0041}.csv', 'orders.csv'],
    ['an override that hides a leading dot', '\u202E.bashrc', 'bashrc'],
    ['a format character between a letter and its accent, composed once it is gone', 'Cafe\u200D\u0301.csv', 'Caf\u00E9.csv'],
    ['only format characters', '\u202E\u2066\u200B', 'file'],
  ])('drops %s', (_what, input, expected) => {
    expect(sanitizeFileName(input)).toBe(expected);
  });

  it('keeps letters of every script, emoji and ordinary spaces', () => {
    expect(sanitizeFileName('Bestellung März 注文 طلب 😀 v2.csv')).toBe('Bestellung März 注文 طلب 😀 v2.csv');
  });
});
