import { createReadStream } from 'node:fs';
import { IntakeError, type IntakeErrorValue } from '../errors/intake-error.ts';
import type { Inbox } from '../inbox/inbox.ts';
import { listDocuments } from '../ledger/documents-repo.ts';
import { getFile, type FileRow } from '../ledger/files-repo.ts';
import type { Db } from '../store/db.ts';
import { diffDocuments, type DocumentDifference } from './diff-documents.ts';
import type { FileMapper } from './parse-stage.ts';

export interface ReplayResult {
  fileId: string;
  dryRun: boolean;
  /** The new file a real replay created (its own id, `replayOf` the original). */
  replayFileId?: string;
  /** Dry run: documents that would differ from those recorded last time. */
  differences?: DocumentDifference[];
  /** Dry run: the current mapping refuses the file. */
  error?: IntakeErrorValue;
  documents?: { before: number; after: number };
}

/** What the current mapping makes of a received file, by document index (rejected documents included as null). */
export async function remapFile(mapper: FileMapper, file: FileRow): Promise<Map<number, unknown>> {
  const opened = await mapper.open(file);
  const documents = new Map<number, unknown>();
  for await (const output of opened.outputs) {
    if (output.kind === 'document') documents.set(output.index, output.document);
    else if (output.kind === 'rejected-document') documents.set(output.index, rejected((output.partial as { orderNumber?: unknown } | undefined)?.orderNumber, output.errors));
  }
  return documents;
}

/** The documents recorded for a file, by index, as they were sent (or refused). */
export async function recordedDocuments(db: Db, fileId: string): Promise<Map<number, unknown>> {
  const rows = await listDocuments(db, fileId);
  return new Map(rows.map((row) => [row.idx, row.state === 'INVALID' ? rejected(row.order_number, row.error ?? []) : row.payload]));
}

/** A document the mapping refused, as the dry run compares it: with its order number, which the diff names. */
function rejected(orderNumber: unknown, errors: readonly { message: string }[]): { orderNumber?: string; rejected: string[] } {
  return { ...(orderNumber ? { orderNumber: String(orderNumber) } : {}), rejected: errors.map((e) => e.message) };
}

/**
 * `intake files replay`: re-runs a received file with the current mapping, as a new file (a replay is never a
 * duplicate) delivered the way the original came. `--dry-run` changes nothing and reports what would differ.
 */
export async function replayFile(deps: { db: Db; inbox: Pick<Inbox, 'receive'>; mapper: FileMapper }, fileId: string, options: { dryRun: boolean }): Promise<ReplayResult> {
  const file = await getFile(deps.db, fileId);
  if (!file) throw IntakeError.of('FILE_NOT_FOUND', `no file ${fileId} in the ledger`);
  if (options.dryRun) {
    const before = await recordedDocuments(deps.db, file.id);
    try {
      const after = await remapFile(deps.mapper, file);
      return { fileId, dryRun: true, differences: diffDocuments(before, after), documents: { before: before.size, after: after.size } };
    } catch (error) {
      if (error instanceof IntakeError) return { fileId, dryRun: true, error: error.value, documents: { before: before.size, after: 0 } };
      throw error;
    }
  }
  const receipt = await deps.inbox.receive({
    customer: file.customer,
    channel: file.channel,
    originalName: file.original_name,
    sender: file.sender,
    replyTo: file.reply_to ?? undefined,
    content: createReadStream(file.spool_path),
    replayOf: file.id,
  });
  return { fileId, dryRun: false, replayFileId: receipt.fileId };
}
