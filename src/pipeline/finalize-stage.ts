import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { describePlace, type IntakeErrorValue } from '../errors/intake-error.ts';
import type { Logger } from '../log/logger.ts';
import { documentCounts, hasPendingDocuments, listDocuments, type DocumentRow } from '../ledger/documents-repo.ts';
import { finalFileState, isFinalFileState } from '../ledger/file-states.ts';
import { getFile, setFileStateIn, type FileRow } from '../ledger/files-repo.ts';
import { Ack997InputSchema, encode997, render997 } from '../results/ack-997.ts';
import { ReceivedAcknowledgmentSchema } from '../results/ack-from-x12.ts';
import { SourceRangeSchema, type DocumentRowInput, type FileOutcomeInput } from '../results/file-outcome.ts';
import { duplicateFileError, renderResultCsv } from '../results/result-csv.ts';
import { resultFileNames } from '../results/result-file-names.ts';
import { renderResultJson } from '../results/result-json.ts';
import { writeFileDurably } from '../runtime/durable-file.ts';
import type { Db, Queryable } from '../store/db.ts';
import { storableJson } from '../ledger/storable-json.ts';

export interface FinalizeStageDeps {
  db: Db;
  /** Result files are kept here, per file id, before and after delivery. */
  resultsDir: string;
  enqueueDeliver(job: { fileId: string; channel: string }): Promise<void>;
  logger: Logger;
}

/**
 * File-level errors that are our fault, not the file's: the file ends FAILED (replayable), not REJECTED. A reader
 * refusing its options is one: they come from our mapping (checked when it loads), never from the customer's file.
 */
const INTERNAL_ERROR_CODES = new Set(['PARSE_FAILED', 'MAPPING_BROKEN', 'CSV_INVALID_OPTIONS', 'FW_INVALID_OPTIONS', 'XLSX_INVALID_OPTIONS']);

export function resultDir(resultsDir: string, fileId: string): string {
  return join(resultsDir, fileId);
}

function documentRow(row: DocumentRow): DocumentRowInput {
  const source = SourceRangeSchema.safeParse(row.sources);
  const base = { index: row.idx, orderNumber: row.order_number, ...(source.success ? { source: source.data } : {}), correlationId: `${row.file_id}-${row.idx}` };
  const engineStatus = row.engine_status ?? undefined;
  switch (row.state) {
    case 'ACCEPTED': {
      const response = (row.response ?? {}) as Pick<DocumentRowInput, 'created' | 'updated' | 'removed'>;
      return { ...base, outcome: 'ACCEPTED', engineStatus, created: response.created ?? [], updated: response.updated ?? [], removed: response.removed ?? [] };
    }
    case 'REJECTED':
      return {
        ...base,
        outcome: 'REJECTED',
        engineStatus,
        error: { code: row.problem?.code ?? `ENGINE_${engineStatus ?? ''}`, message: row.problem?.detail ?? row.problem?.title ?? 'rejected by the engine', place: {} },
      };
    case 'INVALID': {
      const errors = row.error ?? [];
      const first = errors[0];
      return {
        ...base,
        outcome: 'REJECTED',
        error: {
          code: first?.code ?? 'MAPPING_INVALID_DOCUMENT',
          message: errors.map((e) => [describePlace(e.place), e.message].filter(Boolean).join(': ')).join('; ') || 'the mapping could not build this document',
          place: first?.place ?? {},
        },
      };
    }
    case 'FAILED':
      return { ...base, outcome: 'FAILED', engineStatus, ...(row.error?.[0] ? { error: row.error[0] } : {}) };
    case 'TEST_ONLY':
      return { ...base, outcome: 'TEST_ONLY' };
    default:
      return { ...base, outcome: 'SKIPPED' };
  }
}

/**
 * All outcomes in: the file's one final state, its result files (CSV, JSON, and a 997 per functional group for
 * X12 input), then delivery the way the file came. Safe to run twice: a file already final is only re-delivered.
 */
export async function runFinalizeJob(deps: FinalizeStageDeps, job: { fileId: string }): Promise<void> {
  const { db } = deps;
  const file = await getFile(db, job.fileId);
  if (!file) return;
  const log = deps.logger.child({ fileId: file.id, customer: file.customer, file: file.original_name });
  const alreadyFinal = isFinalFileState(file.state) && file.finished_at !== null;
  if (!alreadyFinal) {
    if (file.state === 'SUBMITTING') {
      if (await hasPendingDocuments(db, file.id)) return; // not all in yet: the last document re-enqueues us
    } else if (file.state !== 'FINALIZING' && file.state !== 'DUPLICATE') {
      return;
    }
    const documents = file.state === 'DUPLICATE' ? [] : await listDocuments(db, file.id);
    const counts = await documentCounts(db, file.id);
    const state =
      file.state === 'DUPLICATE' ? 'DUPLICATE' : file.error ? (INTERNAL_ERROR_CODES.has(file.error.code) ? 'FAILED' : 'REJECTED') : finalFileState(counts);
    const error = file.state === 'DUPLICATE' ? await duplicateError(db, file) : (file.error ?? undefined);
    const outcome: FileOutcomeInput = {
      fileId: file.id,
      originalName: file.original_name,
      customer: file.customer,
      state,
      ...(error ? { error } : {}),
      testMode: file.test_mode,
      documents: documents.map(documentRow),
    };
    const acknowledgementsNotWritten = await writeResults(deps, file, outcome, log);
    // The final state and its pending delivery land together: a reader (or a crash) between them would see a file
    // finished with nothing to deliver. A DUPLICATE was recorded as such when received: finishing it adds no second
    // DUPLICATE to its story.
    await db.transaction(async (tx) => {
      // A DUPLICATE keeps its result's error, which says what became of the original then, for its status.
      await setFileStateIn(tx, file.id, state, {
        detail: { counts, ...(acknowledgementsNotWritten.length > 0 ? { acknowledgementsNotWritten } : {}) },
        event: file.state !== 'DUPLICATE',
        ...(file.state === 'DUPLICATE' ? { error } : {}),
      });
      await recordPendingDelivery(tx, file);
    });
    log.info({ state, counts }, 'file finished');
  } else {
    await recordPendingDelivery(db, file); // a file finished by a version that recorded its delivery separately
  }
  await deps.enqueueDeliver({ fileId: file.id, channel: file.channel });
}

async function duplicateError(db: Queryable, file: FileRow): Promise<IntakeErrorValue> {
  const original = file.duplicate_of ? await getFile(db, file.duplicate_of) : undefined;
  if (!original) return duplicateFileError(file.duplicate_of ?? '', file.original_name);
  const counts = await documentCounts(db, original.id);
  return duplicateFileError(original.id, file.original_name, {
    state: original.state,
    final: isFinalFileState(original.state),
    testMode: original.test_mode,
    documents: Object.values(counts).reduce((sum, n) => sum + n, 0),
    accepted: counts.ACCEPTED ?? 0,
  });
}

async function recordPendingDelivery(db: Queryable, file: FileRow): Promise<void> {
  await db.query(
    `INSERT INTO gateway.deliveries (file_id, channel, target, state) VALUES ($1, $2, $3::jsonb, 'PENDING') ON CONFLICT (file_id, channel) DO NOTHING`,
    [file.id, file.channel, storableJson(file.reply_to ?? {})],
  );
}

/**
 * Writes the file's result files. A 997 is the partner's answer, the result CSV/JSON the file's: a 997 that cannot
 * be written (its input holds what no 997 can carry) costs only that 997, never the results or the file's final
 * state. Returns why each unwritten 997 was not, for the file's story.
 */
async function writeResults(deps: FinalizeStageDeps, file: FileRow, outcome: FileOutcomeInput, log: Logger): Promise<IntakeErrorValue[]> {
  const dir = resultDir(deps.resultsDir, file.id);
  mkdirSync(dir, { recursive: true });
  const names = resultFileNames(file.original_name);
  const files: [string, string | Buffer][] = [
    [names.csv, renderResultCsv(outcome)],
    [names.json, renderResultJson(outcome)],
  ];
  const notWritten: IntakeErrorValue[] = [];
  const acks: unknown[] = [];
  for (const entry of file.acknowledgements ?? []) {
    const received = ReceivedAcknowledgmentSchema.safeParse(entry);
    if (received.success) log.info({ acknowledgment: received.data }, 'functional acknowledgment received; not answered, an acknowledgment is never acknowledged');
    else acks.push(entry);
  }
  for (const [i, entry] of acks.entries()) {
    const name = acks.length === 1 ? names.ack997 : names.ack997.replace(/\.997\.x12$/, `.${i + 1}.997.x12`);
    // Checked before a control number is taken: partners' translators flag gaps in our ISA13 sequence.
    const ack = Ack997InputSchema.safeParse(entry);
    if (!ack.success) {
      const group = (entry as { group?: { functionalId?: unknown; controlNumber?: unknown } } | null)?.group;
      const error: IntakeErrorValue = {
        code: 'ACK_997_NOT_WRITTEN',
        message: `no 997 was written for functional group ${String(group?.controlNumber ?? '?')} (${String(group?.functionalId ?? '?')}): ${z.prettifyError(ack.error)}`,
        place: { file: file.original_name },
        details: { name },
      };
      log.error({ fileId: file.id, error }, '997 not written');
      notWritten.push(error);
      continue;
    }
    const { rows } = await deps.db.query<{ n: number }>(`SELECT nextval('gateway.ack_control_numbers') AS n`);
    // In the bytes the partner wrote: the interchange's encoding, not always UTF-8.
    files.push([name, encode997(render997(ack.data, { controlNumber: rows[0]!.n, documents: outcome.documents }), ack.data.interchange.encoding)]);
  }
  // Durable before the file is marked finished: the ledger (on a PostgreSQL server) survives a power loss, and a
  // result it points to must too, or the customer would be sent an empty or missing result.
  for (const [name, content] of files) await writeFileDurably(join(dir, name), typeof content === 'string' ? content : (temp) => writeFile(temp, content));
  return notWritten;
}
