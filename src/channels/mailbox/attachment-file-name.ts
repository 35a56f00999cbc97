import { MAX_FILE_NAME_BYTES, fitFileName } from '../../file-names/sanitize-file-name.ts';

/**
 * The name an attachment is received under: its base name only (a name like `../../a.csv` or `C:\x\a.csv`
 * must never steer anything), no control characters (NUL included), no leading dots or spaces, and at most
 * MAX_FILE_NAME_BYTES (200) UTF-8 bytes with the extension kept, as the inbox would cut it. Unlike the inbox,
 * an empty name gets a fallback that says which part it was.
 */
export function attachmentFileName(raw: string | undefined, fallback = 'attachment'): string {
  const base = (raw ?? '').split(/[\\/]/).pop() ?? '';
  const cleaned = base
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, '')
    .replace(/^[.\s]+/, '')
    .trim();
  return cleaned === '' ? fallback : fitFileName(cleaned, MAX_FILE_NAME_BYTES);
}
