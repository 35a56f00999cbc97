import { sanitizeFileName } from '../../file-names/sanitize-file-name.ts';

/**
 * The name an attachment is received under: the inbox's own rule (sanitizeFileName), but an empty name gets a
 * fallback that says which part it was.
 */
export function attachmentFileName(raw: string | undefined, fallback = 'attachment'): string {
  return sanitizeFileName(raw ?? '', fallback);
}
