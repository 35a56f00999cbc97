import type { MailboxLimits } from './mailbox-settings.ts';
import { quarantineReason, type QuarantineReason } from './mailbox-errors.ts';

export interface MimeStructure {
  parts: number;
  depth: number;
}

/** Only this much of one entity's header section is kept to find its Content-Type (a hostile header can be megabytes). */
const MAX_KEPT_HEADER_CHARS = 16 * 1024;

/**
 * Counts a raw message's MIME entities and their nesting, and stops as soon as a limit is passed, before any
 * full parser sees the message: a mail bomb (thousands of parts) or a deeply nested multipart is refused in
 * one linear pass, with no recursion and no decoding, whatever else is wrong with it. Only the structure is
 * read: Content-Type boundaries and `message/rfc822` parts (an attached message nests its own entities).
 *
 * Bytes are read as latin1 so every byte is one character and nothing can fail to decode.
 */
export function scanMimeStructure(raw: Buffer, limits: Pick<MailboxLimits, 'maxParts' | 'maxDepth'>): { ok: true; structure: MimeStructure } | { ok: false; reason: QuarantineReason } {
  const text = raw.toString('latin1');
  const open: Array<{ boundary: string; depth: number }> = [];
  let parts = 0;
  let deepest = 0;
  let inHeaders = true;
  let entityDepth = 0;
  let contentType = '';
  let inContentType = false;
  let violation: QuarantineReason | undefined;

  const startEntity = (depth: number) => {
    parts++;
    deepest = Math.max(deepest, depth);
    if (parts > limits.maxParts) violation = quarantineReason('MAILBOX_TOO_MANY_PARTS', `more than ${limits.maxParts} parts`);
    else if (depth > limits.maxDepth) violation = quarantineReason('MAILBOX_TOO_DEEP', `nested deeper than ${limits.maxDepth} levels`);
    inHeaders = true;
    entityDepth = depth;
    contentType = '';
    inContentType = false;
  };

  const endHeaders = () => {
    inHeaders = false;
    const type = /^\s*([^;\s]+)/.exec(contentType)?.[1]?.toLowerCase() ?? '';
    if (type.startsWith('multipart/')) {
      const boundary = /boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
      const value = boundary?.[1] ?? boundary?.[2];
      // A multipart without a boundary cannot be split; parsers read it as one opaque body, and so do we.
      if (value) open.push({ boundary: value, depth: entityDepth });
    } else if (type === 'message/rfc822' || type === 'message/global') {
      // The attached message's header section starts right after this part's headers.
      startEntity(entityDepth + 1);
    }
  };

  startEntity(0);
  let position = 0;
  while (position <= text.length && !violation) {
    let end = text.indexOf('\n', position);
    if (end === -1) end = text.length;
    const line = text.slice(position, end).replace(/\r$/, '');
    position = end + 1;
    if (inHeaders) {
      if (line === '') {
        endHeaders();
      } else if (/^[ \t]/.test(line)) {
        if (inContentType && contentType.length < MAX_KEPT_HEADER_CHARS) contentType += ' ' + line.trim();
      } else {
        inContentType = /^content-type\s*:/i.test(line);
        if (inContentType) contentType = line.slice(line.indexOf(':') + 1).slice(0, MAX_KEPT_HEADER_CHARS);
      }
      continue;
    }
    if (open.length === 0 || !line.startsWith('--')) continue;
    const trimmed = line.trimEnd();
    // A boundary of an outer multipart also closes every inner one left open (tolerated, as parsers do).
    for (let i = open.length - 1; i >= 0; i--) {
      const { boundary, depth } = open[i]!;
      if (trimmed === `--${boundary}`) {
        open.length = i + 1;
        startEntity(depth + 1);
        break;
      }
      if (trimmed === `--${boundary}--`) {
        open.length = i;
        break;
      }
    }
  }
  if (violation) return { ok: false, reason: violation };
  return { ok: true, structure: { parts, depth: deepest } };
}
