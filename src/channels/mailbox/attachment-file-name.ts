/** Longest name handed to the inbox, in UTF-8 bytes: file systems allow 255, and result names add suffixes. */
export const MAX_ATTACHMENT_NAME_BYTES = 200;

/**
 * The name an attachment is received under: its base name only (a name like `../../a.csv` or `C:\x\a.csv`
 * must never steer anything), no control characters (NUL included), no leading dots, and at most 200 UTF-8
 * bytes. A long name is cut in its stem, not its end, so `.csv` survives: customers' globs and the mapping
 * choice match on the extension. The inbox sanitises again (to 200 characters), which then changes nothing.
 */
export function attachmentFileName(raw: string | undefined, fallback = 'attachment'): string {
  const base = (raw ?? '').split(/[\\/]/).pop() ?? '';
  const cleaned = base
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, '')
    .replace(/^[.\s]+/, '')
    .trim();
  if (cleaned === '') return fallback;
  if (Buffer.byteLength(cleaned) <= MAX_ATTACHMENT_NAME_BYTES) return cleaned;
  const dot = cleaned.lastIndexOf('.');
  // An "extension" longer than 16 bytes is not one; cut the whole name.
  const extension = dot > 0 && Buffer.byteLength(cleaned.slice(dot)) <= 16 ? cleaned.slice(dot) : '';
  const stem = extension ? cleaned.slice(0, dot) : cleaned;
  return cutToBytes(stem, MAX_ATTACHMENT_NAME_BYTES - Buffer.byteLength(extension)) + extension;
}

/** Whole characters (code points) only: a cut inside a UTF-8 sequence would leave an invalid name. */
function cutToBytes(text: string, maxBytes: number): string {
  let out = '';
  let bytes = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (bytes + size > maxBytes) break;
    out += char;
    bytes += size;
  }
  return out;
}
