import { z } from 'zod';

/**
 * A file's life: RECEIVED (spooled and recorded) → QUEUED (parse job enqueued) → PARSING → SUBMITTING
 * (documents on their way) → FINALIZING (result being written) → one final state.
 */
export const FINAL_FILE_STATES = ['COMPLETED', 'PARTIAL', 'REJECTED', 'FAILED', 'DUPLICATE'] as const;
export const FileStateSchema = z.enum(['RECEIVED', 'QUEUED', 'PARSING', 'SUBMITTING', 'FINALIZING', ...FINAL_FILE_STATES]);
export type FileState = z.infer<typeof FileStateSchema>;

/**
 * A document's life: WAITING (an earlier document for the same order is not final yet) → QUEUED (submit job
 * enqueued) → one final state. INVALID: the mapping rejected it, so it was never sent. TEST_ONLY: from an
 * ISA15 = T interchange, validated but not submitted. A row the mapping skipped because of an error (onError:
 * skipRow, an empty group key) is recorded INVALID too, after the documents, so it is reported and counts against
 * the file; rows left out by design (`when`, the format's skipWhen and header/trailer rows) are not recorded.
 */
export const FINAL_DOCUMENT_STATES = ['ACCEPTED', 'REJECTED', 'FAILED', 'INVALID', 'TEST_ONLY'] as const;
export const DocumentStateSchema = z.enum(['WAITING', 'QUEUED', ...FINAL_DOCUMENT_STATES]);
export type DocumentState = z.infer<typeof DocumentStateSchema>;

export function isFinalFileState(state: string): boolean {
  return (FINAL_FILE_STATES as readonly string[]).includes(state);
}

/**
 * The final state of a file whose documents are all final: COMPLETED when every document was accepted (or, in
 * test mode, validated), REJECTED when none was, PARTIAL otherwise; FAILED as soon as one exhausted its retries
 * (replayable).
 */
export function finalFileState(counts: Partial<Record<DocumentState, number>>): 'COMPLETED' | 'PARTIAL' | 'REJECTED' | 'FAILED' {
  const ok = (counts.ACCEPTED ?? 0) + (counts.TEST_ONLY ?? 0);
  const bad = (counts.REJECTED ?? 0) + (counts.INVALID ?? 0);
  if ((counts.FAILED ?? 0) > 0) return 'FAILED';
  if (ok === 0) return 'REJECTED';
  return bad === 0 ? 'COMPLETED' : 'PARTIAL';
}
