import { describePlace, IntakeError, type IntakeErrorValue } from '../errors/intake-error.ts';
import type { Logger } from '../log/logger.ts';
import { activateHeads, insertDocuments, removeUnsentDocuments, type NewDocumentRow } from '../ledger/documents-repo.ts';
import { getFile, setFileState, settleCopy, type FileRow } from '../ledger/files-repo.ts';
import { refuseSetsOfVoidedDocuments, type FileAcknowledgement, type VoidedDocument } from '../results/ack-from-x12.ts';
import type { SourceRange } from '../results/file-outcome.ts';
import type { Db } from '../store/db.ts';
import type { ParseJob, SubmitJob } from './jobs.ts';
import { orderKeyOf } from '../documents/order-key.ts';
import { finalizeWhenDone } from './submit-stage.ts';
import { storableJson } from '../ledger/storable-json.ts';

/** What a mapping made of one group of records (src/mapping): a document, or the reasons it could not be one. */
export type MappedOutput =
  | { kind: 'document'; index: number; document: Record<string, unknown>; sources: SourceRange | undefined; mappingHash: string; test?: boolean }
  | { kind: 'rejected-document'; index: number; errors: IntakeErrorValue[]; sources: SourceRange | undefined; partial?: unknown }
  | { kind: 'skipped-row'; errors: IntakeErrorValue[]; sources: SourceRange | undefined };

/** What the format said once every record was read (X12: the envelope analysis behind the 997). */
export interface MappedFileEnd {
  acknowledgements: FileAcknowledgement[];
  /** Parts of the file the format refused (X12 transaction sets), each with its reasons. */
  rejections: IntakeErrorValue[][];
  /** The file as a whole is unreadable in its format. */
  fileRejection?: IntakeErrorValue | undefined;
  /** Segment ranges refused after their records were mapped: documents made from them are voided. */
  voided?: { first: number; last: number; errors: IntakeErrorValue[] }[];
  /** Records the mapping's `when` excluded by design: counted, not errors. */
  excludedRecords?: number;
}

/** Opens a received file through its customer's mapping; throws IntakeError when the file itself is refused. */
export interface FileMapper {
  open(file: FileRow): Promise<{ mappingName: string; mappingHash: string; outputs: AsyncIterable<MappedOutput>; finish?: () => MappedFileEnd }>;
}

export interface ParseStageDeps {
  db: Db;
  mapper: FileMapper;
  enqueueSubmits(jobs: SubmitJob[]): Promise<void>;
  enqueueFinalize(job: { fileId: string }): Promise<void>;
  logger: Logger;
}

const BATCH = 1000;

/**
 * How long a copy waits before it looks again at the file with the same bytes it awaits (its documents are being
 * submitted, which takes seconds to minutes, or longer while the engine is away).
 */
const COPY_WAIT_MS = 1000;

/**
 * A received file to documents in the ledger, then its documents to the submit queue. Nothing is submitted
 * until the whole file is mapped, so a file the mapping rejects part-way never half-applies. Files of one
 * customer are parsed in arrival order (`defer` while an earlier one is still waiting), so their documents for
 * the same order are applied in that order.
 */
export async function runParseJob(
  deps: ParseStageDeps,
  job: ParseJob,
  progress: (done: number) => Promise<void>,
  defer: (ms: number) => Promise<never>,
): Promise<void> {
  const { db } = deps;
  const file = await getFile(db, job.fileId);
  if (file?.state === 'SUBMITTING') {
    // A re-run of a parse whose run died after the file went SUBMITTING, maybe before its documents were queued:
    // queue the heads again (idempotent; job ids make a second enqueue a no-op) and finalize if all are done.
    const { rows } = await db.query<{ order_key: string }>(
      `SELECT DISTINCT order_key FROM gateway.documents WHERE file_id = $1 AND state IN ('WAITING', 'QUEUED')`,
      [file.id],
    );
    await activateOrders(deps, rows.map((row) => row.order_key));
    await finalizeWhenDone(deps, file.id);
    return;
  }
  if (file?.state === 'DUPLICATE' && file.finished_at === null) {
    // A re-run of a parse that made its file a DUPLICATE and died before queueing its result (a no-op otherwise).
    await deps.enqueueFinalize({ fileId: file.id });
    return;
  }
  if (!file || (file.state !== 'QUEUED' && file.state !== 'PARSING')) return;
  const log = deps.logger.child({ fileId: file.id, customer: file.customer, file: file.original_name });
  const { rows: earlier } = await db.query<{ id: string }>(
    `SELECT id FROM gateway.files WHERE customer = $1 AND seq < $2 AND state IN ('RECEIVED', 'QUEUED', 'PARSING') LIMIT 1`,
    [file.customer, file.seq],
  );
  if (earlier.length > 0) return defer(250);
  // A copy of a file that was on its way when it arrived: the wait keeps it QUEUED, so the customer's later files
  // still wait behind it, and the order of application holds whichever way it is decided.
  const copy = await settleCopy(db, file);
  if (copy === 'wait') return defer(COPY_WAIT_MS);
  if (typeof copy === 'object') {
    log.info({ duplicateOf: copy.duplicateOf }, 'file received earlier with the same bytes applied documents: duplicate');
    await deps.enqueueFinalize({ fileId: file.id });
    return;
  }

  await setFileState(db, file.id, 'PARSING', {}, ['QUEUED', 'PARSING']);
  // A re-run after a crash starts over: nothing of this file was submitted yet. The orders of the documents it
  // removes are freed with this run's own once it ends (a changed mapping may no longer make them).
  const freed = await removeUnsentDocuments(db, file.id);
  try {
    const opened = await deps.mapper.open(file);
    const keys = new Set<string>();
    let batch: NewDocumentRow[] = [];
    let count = 0;
    let skipped = 0;
    let firstSkipErrors: IntakeErrorValue[] | undefined;
    let testMode = false;
    const flush = async () => {
      await insertDocuments(db, file.id, file.seq, batch);
      batch = [];
      await progress(count);
    };
    for await (const output of opened.outputs) {
      if (output.kind === 'skipped-row') {
        // A row skipped because of an error is reported like a document the mapping could not build (INVALID,
        // with its errors and lines), so it reaches the result files and the status and the file cannot end
        // COMPLETED. Its index is not known yet (documents after it keep the indexes mapRecords gave them, the
        // ones in their Idempotency-Keys): it waits under a negative one and moves after the documents below.
        skipped++;
        firstSkipErrors ??= output.errors;
        batch.push({
          idx: -skipped,
          orderKey: '',
          orderNumber: '',
          payload: null,
          sources: output.sources,
          mappingHash: opened.mappingHash,
          state: 'INVALID',
          error: output.errors,
        });
      } else if (output.kind === 'document') {
        count++;
        const orderKey = orderKeyOf(output.document);
        testMode ||= output.test === true;
        if (!output.test) keys.add(orderKey);
        batch.push({
          idx: output.index,
          orderKey,
          orderNumber: String(output.document.orderNumber ?? ''),
          payload: output.document,
          sources: output.sources,
          mappingHash: output.mappingHash,
          state: output.test ? 'TEST_ONLY' : 'WAITING',
        });
      } else {
        count++;
        const partial = (output.partial ?? {}) as Record<string, unknown>;
        batch.push({
          idx: output.index,
          orderKey: orderKeyOf(partial),
          orderNumber: String(partial.orderNumber ?? ''),
          payload: output.partial ?? null,
          sources: output.sources,
          mappingHash: opened.mappingHash,
          state: 'INVALID',
          error: output.errors,
        });
      }
      if (batch.length >= BATCH) await flush();
    }
    const end = opened.finish?.();
    if (end?.fileRejection) throw new IntakeError(end.fileRejection);
    // Refused transaction sets become rejected rows of the result, after the documents.
    const rejectionRow = (errors: IntakeErrorValue[]): NewDocumentRow => {
      const segment = errors[0]?.place.segment;
      return {
        idx: count++,
        orderKey: '',
        orderNumber: '',
        payload: null,
        sources: segment === undefined ? {} : ({ unit: 'segment', ranges: [[segment, segment]] } satisfies SourceRange),
        mappingHash: opened.mappingHash,
        state: 'INVALID',
        error: errors,
      };
    };
    for (const errors of end?.rejections ?? []) batch.push(rejectionRow(errors));
    await flush();
    // Nothing is submitted before the whole file is mapped, so documents built from an envelope refused later
    // in the file are voided here, before any of them can go out. A document is from the envelope when one of
    // its ranges is (its rows in this ledger were all written by this run, so all hold ranges). A voided
    // document may also hold records of sets that were fine (grouped across sets): those sets are refused too,
    // in the 997 and in all their documents, and so on until no voided document reaches another set.
    let refused = end?.voided ?? [];
    while (refused.length > 0) {
      const documents: VoidedDocument[] = [];
      for (const range of refused) {
        const { rows } = await db.query<{ sources: { ranges: [number, number][] } }>(
          `UPDATE gateway.documents SET state = 'INVALID', error = $4::jsonb
            WHERE file_id = $1 AND state IN ('WAITING', 'TEST_ONLY') AND sources->>'unit' = 'segment'
              AND EXISTS (SELECT 1 FROM jsonb_array_elements(sources->'ranges') AS span
                           WHERE (span->>0)::int <= $3 AND (span->>1)::int >= $2)
            RETURNING sources`,
          [file.id, range.first, range.last, storableJson(range.errors)],
        );
        for (const row of rows) documents.push({ ranges: row.sources.ranges, errors: range.errors });
      }
      refused = refuseSetsOfVoidedDocuments(end?.acknowledgements ?? [], documents, file.original_name);
      for (const set of refused) batch.push(rejectionRow(set.errors));
    }
    await flush();
    if (skipped > 0) {
      // Skipped rows (negative indexes while mapping) go after the documents, in the order they were found.
      await db.query('UPDATE gateway.documents SET idx = $2 - 1 - idx WHERE file_id = $1 AND idx < 0', [file.id, count]);
    }
    if (end && end.acknowledgements.length > 0) {
      await db.query('UPDATE gateway.files SET acknowledgements = $2::jsonb WHERE id = $1', [file.id, storableJson(end.acknowledgements)]);
    }
    await setFileState(db, file.id, 'SUBMITTING', {
      mappingName: opened.mappingName,
      mappingHash: opened.mappingHash,
      documentCount: count,
      testMode,
      ...(count === 0 ? { error: noDocumentsError(file.original_name, skipped, firstSkipErrors, end?.excludedRecords ?? 0) } : {}),
      detail: { documents: count, skippedRows: skipped, excludedRecords: end?.excludedRecords ?? 0, mapping: opened.mappingName },
    });
    log.info({ documents: count, skippedRows: skipped, excludedRecords: end?.excludedRecords ?? 0, mapping: opened.mappingName }, 'file mapped');
    await activateOrders(deps, [...new Set([...keys, ...freed])]);
    await finalizeWhenDone(deps, file.id);
  } catch (error) {
    // Anything but a refusal of the file (a database or Redis hiccup) is retried by the queue; the worker marks
    // the file FAILED when the retries run out.
    if (!(error instanceof IntakeError)) throw error;
    log.info({ error: error.value }, 'file refused');
    await refuseFile(deps, file.id, error.value, freed);
  }
}

/** Frees the next document of each order (one whose file is SUBMITTING) and queues it. */
export async function activateOrders(deps: Pick<ParseStageDeps, 'db' | 'enqueueSubmits'>, orderKeys: string[]): Promise<void> {
  for (let i = 0; i < orderKeys.length; i += 5000) await deps.enqueueSubmits(await activateHeads(deps.db, orderKeys.slice(i, i + 5000)));
}

/**
 * A file refused while being parsed ends REJECTED (or FAILED) with a result saying why, and none of its documents:
 * the later files' documents for the same orders, which waited behind them, go out. A file already past parsing
 * (its parse job gave up while re-queueing its documents) is left as it is: some of its documents may have been
 * applied, so it ends with their outcomes. `freed`: orders whose documents an earlier run of the parse removed.
 */
export async function refuseFile(
  deps: Pick<ParseStageDeps, 'db' | 'enqueueSubmits' | 'enqueueFinalize' | 'logger'>,
  fileId: string,
  error: IntakeErrorValue,
  freed: readonly string[] = [],
): Promise<void> {
  const removed = await removeUnsentDocuments(deps.db, fileId);
  // Freed before the file moves on; should the process die in between, start-up recovery frees every order's head.
  await activateOrders(deps, [...new Set([...freed, ...removed])]);
  if (!(await setFileState(deps.db, fileId, 'FINALIZING', { error, documentCount: 0 }, ['RECEIVED', 'QUEUED', 'PARSING']))) {
    deps.logger.warn({ fileId, error }, 'file past parsing not refused: it ends with its documents\' outcomes');
    return;
  }
  await deps.enqueueFinalize({ fileId });
}

/**
 * Why a file that was read produced no document at all: its skipped rows (the first errors, with their places),
 * or the records its `when` excluded by design. The file then ends REJECTED saying so, never with a bare
 * "the file was rejected".
 */
export function noDocumentsError(fileName: string, skippedRows: number, firstSkipErrors: IntakeErrorValue[] | undefined, excludedRecords: number): IntakeErrorValue {
  const place = { file: fileName };
  const rows = (n: number) => (n === 1 ? '1 row' : `${n} rows`);
  const excluded = excludedRecords > 0 ? `; ${rows(excludedRecords)} excluded by the mapping's when` : '';
  if (skippedRows > 0 && firstSkipErrors) {
    const first = firstSkipErrors
      .slice(0, 3)
      .map((e) => [describePlace({ ...e.place, file: undefined }), e.message].filter(Boolean).join(': '))
      .join('; ');
    return {
      code: 'NO_DOCUMENTS',
      message: `no row produced a document: ${rows(skippedRows)} skipped because of errors${excluded}; the first: ${first}`,
      place: { ...firstSkipErrors[0]!.place, ...place },
    };
  }
  if (excludedRecords > 0) {
    return { code: 'NO_DOCUMENTS', message: `no row produced a document: ${rows(excludedRecords)} excluded by the mapping's when`, place };
  }
  return { code: 'NO_DOCUMENTS', message: 'no row produced a document: the file has no data rows the mapping reads', place };
}
