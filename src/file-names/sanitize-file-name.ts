/**
 * Longest customer file name we keep, in UTF-8 bytes. File systems (ext4, xfs, and the customers' SFTP servers)
 * refuse names over 255 bytes, and every name we derive adds to it: results add `.result.json` and, when taken,
 * the file id; drop-folder moves add a stamp; temporary copies add `.partial`. 200 leaves room for all of those
 * (see result-file-names.ts for the sum).
 */
export const MAX_FILE_NAME_BYTES = 200;

/** An "extension" longer than this is not one: the whole name is cut instead. */
const MAX_EXTENSION_BYTES = 16;

/**
 * Characters that are not shown as themselves: controls (Cc), format characters (Cf) and the line and paragraph
 * separators. Bidi overrides and isolates reorder what a reader sees (U+202E makes `\u202Evsc.exe` display as
 * `exe.csv`), zero-width ones make two different names look the same, and a separator breaks a log line or a
 * listing in two; all of them reach operators and customers in listings, SFTP names and downloads.
 */
const UNSHOWN_CHARACTERS = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/**
 * A customer's file name reduced to something safe to show, log and reuse in a result name: the base name only
 * (no directories, whatever the separator), no control, format or separator characters, at most
 * MAX_FILE_NAME_BYTES UTF-8 bytes with the extension kept, no leading dots or spaces (a hidden name). Never used
 * as a path on our disk: the spool names files by id. A name with nothing left is `fallback`.
 */
export function sanitizeFileName(name: string, fallback = 'file'): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  // Removed before normalising: a format character between a letter and its accent would keep them apart.
  const cleaned = base
    .replace(UNSHOWN_CHARACTERS, '')
    .normalize('NFC')
    .replace(/^[.\s]+/, '')
    .trim();
  return cleaned === '' ? fallback : fitFileName(cleaned, MAX_FILE_NAME_BYTES);
}

/**
 * `name` in at most `maxBytes` UTF-8 bytes. A long name is cut in its stem, not its end, so `.csv` survives:
 * customers' globs and the mapping choice match on the extension. The cut falls between code points: a cut
 * inside a UTF-8 sequence would leave an invalid name.
 */
export function fitFileName(name: string, maxBytes: number): string {
  if (Buffer.byteLength(name) <= maxBytes) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && Buffer.byteLength(name.slice(dot)) <= MAX_EXTENSION_BYTES ? name.slice(dot) : '';
  const stem = extension ? name.slice(0, dot) : name;
  let out = '';
  let bytes = Buffer.byteLength(extension);
  for (const char of stem) {
    const size = Buffer.byteLength(char);
    if (bytes + size > maxBytes) break;
    out += char;
    bytes += size;
  }
  return out + extension;
}
