import type { IntakeErrorValue } from '../errors/intake-error.ts';
import { prepared, type Db, type Queryable } from '../store/db.ts';
import type { DocumentState } from './file-states.ts';
import { storableJson } from './storable-json.ts';

export interface NewDocumentRow {
  idx: number;
  orderKey: string;
  orderNumber: string;
  payload: unknown;
  sources: unknown;
  mappingHash: string | null;
  state: Extract<DocumentState, 'WAITING' | 'INVALID' | 'TEST_ONLY'>;
  error?: IntakeErrorValue[] | null;
}

export interface DocumentRow {
  file_id: string;
  idx: number;
  file_seq: number;
  order_key: string;
  order_number: string;
  payload: Record<string, unknown> | null;
  sources: unknown;
  mapping_hash: string | null;
  state: DocumentState;
  attempts: number;
  engine_status: number | null;
  response: unknown;
  problem: { code?: string; detail?: string; title?: string } | null;
  error: IntakeErrorValue[] | null;
  updated_at: Date;
}

/** Inserts a batch of a file's documents in one statement (a 1M-row file yields ~100k documents). */
export async function insertDocuments(db: Queryable, fileId: string, fileSeq: number, rows: NewDocumentRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `INSERT INTO gateway.documents (file_id, idx, file_seq, order_key, order_number, payload, sources, mapping_hash, state, error)
     SELECT $1, r.idx, $2, r.order_key, r.order_number, r.payload, r.sources, r.mapping_hash, r.state, r.error
       FROM jsonb_to_recordset($3::jsonb) AS r(idx int, order_key text, order_number text, payload jsonb, sources jsonb, mapping_hash text, state text, error jsonb)
     ON CONFLICT (file_id, idx) DO NOTHING`,
    [
      fileId,
      fileSeq,
      storableJson(
        rows.map((row) => ({
          idx: row.idx,
          order_key: row.orderKey,
          order_number: row.orderNumber,
          payload: row.payload,
          sources: row.sources ?? {},
          mapping_hash: row.mappingHash,
          state: row.state,
          error: row.error ?? null,
        })),
      ),
    ],
  );
}

/**
 * Documents for one order are applied one after another, in the order their files arrived and in line order
 * within a file: for each key, the earliest unfinished document is the head; a WAITING head becomes QUEUED and
 * is returned for enqueueing, once its file is SUBMITTING: a head whose file is still being parsed stays WAITING
 * (nothing of a file goes out before all of it is mapped) and keeps the order's later documents waiting. Run
 * after every change that can move a head (documents inserted or removed, a document finished, a file done
 * parsing), each in its own statement so it sees those commits. Two runs racing may both return the same head:
 * its job id makes the second enqueue a no-op.
 */
export async function activateHeads(db: Queryable, orderKeys: string[]): Promise<{ fileId: string; idx: number }[]> {
  if (orderKeys.length === 0) return [];
  const { rows } = await db.query<{ file_id: string; idx: number }>(
    `WITH heads AS (
       SELECT DISTINCT ON (order_key) file_id, idx, state
         FROM gateway.documents
        WHERE order_key = ANY($1::text[]) AND state IN ('WAITING', 'QUEUED')
        ORDER BY order_key, file_seq, idx
     )
     UPDATE gateway.documents d SET state = 'QUEUED', updated_at = now()
       FROM heads h, gateway.files f
      WHERE d.file_id = h.file_id AND d.idx = h.idx AND h.state = 'WAITING' AND f.id = h.file_id AND f.state = 'SUBMITTING'
     RETURNING d.file_id, d.idx`,
    [orderKeys],
  );
  return rows.map((row) => ({ fileId: row.file_id, idx: row.idx }));
}

/**
 * Removes the documents of a file still being parsed (a re-run starts over; a refused file keeps none) and returns
 * their order keys: documents of later files for those orders may be free now (`activateHeads`). A file past
 * parsing keeps its documents: some may have been applied.
 */
export async function removeUnsentDocuments(db: Queryable, fileId: string): Promise<string[]> {
  const { rows } = await db.query<{ order_key: string }>(
    `DELETE FROM gateway.documents d USING gateway.files f
      WHERE d.file_id = $1 AND f.id = d.file_id AND f.state IN ('RECEIVED', 'QUEUED', 'PARSING')
      RETURNING d.order_key`,
    [fileId],
  );
  return [...new Set(rows.map((row) => row.order_key))];
}

export async function getDocument(db: Queryable, fileId: string, idx: number): Promise<DocumentRow | undefined> {
  const { rows } = await db.query<DocumentRow>('SELECT * FROM gateway.documents WHERE file_id = $1 AND idx = $2', [fileId, idx]);
  return rows[0];
}

export async function listDocuments(db: Queryable, fileId: string): Promise<DocumentRow[]> {
  const { rows } = await db.query<DocumentRow>('SELECT * FROM gateway.documents WHERE file_id = $1 ORDER BY idx', [fileId]);
  return rows;
}

/** Counts an attempt before the document goes out, so a crash mid-request still shows in `attempts`. */
export async function countAttempt(db: Queryable, fileId: string, idx: number): Promise<number> {
  const { rows } = await db.query<{ attempts: number }>(
    `UPDATE gateway.documents SET attempts = attempts + 1, updated_at = now() WHERE file_id = $1 AND idx = $2 RETURNING attempts`,
    [fileId, idx],
  );
  return rows[0]?.attempts ?? 0;
}

const CLAIM_ATTEMPT = prepared(
  'gateway_claim_attempt',
  `UPDATE gateway.documents d SET attempts = d.attempts + 1, updated_at = now()
     FROM gateway.files f
    WHERE d.file_id = $1 AND d.idx = $2 AND d.state = 'QUEUED' AND f.id = d.file_id
    RETURNING d.*, f.customer`,
);

/** A document claimed for an attempt, with its file's customer (for the submit stage's log lines). */
export type ClaimedDocument = DocumentRow & { customer: string };

/**
 * getDocument + countAttempt in one round trip, for a document about to go out: counts the attempt and returns
 * the row (attempts included) if it is QUEUED; undefined otherwise (absent or not QUEUED: ask `getDocument`).
 */
export async function claimAttempt(db: Queryable, fileId: string, idx: number): Promise<ClaimedDocument | undefined> {
  const { rows } = await db.query<ClaimedDocument>(CLAIM_ATTEMPT, [fileId, idx]);
  return rows[0];
}

export type DocumentOutcome = {
  state: 'ACCEPTED' | 'REJECTED' | 'FAILED';
  engineStatus?: number;
  response?: unknown;
  problem?: unknown;
  error?: IntakeErrorValue[];
};

export interface FinishAndAdvanceResult {
  /** Whether this call recorded the outcome (false: the document was not QUEUED; always false without an outcome). */
  finished: boolean;
  /** The order's next document, made QUEUED by this call (enqueue it), as `activateHeads` returns it. */
  next: { fileId: string; idx: number }[];
  fileState: string | undefined;
  /** Whether a document of the file is still WAITING or QUEUED; only asked while the file is SUBMITTING. */
  pending: boolean | undefined;
}

const FINISH_DOCUMENT = prepared(
  'gateway_finish_document',
  'CALL gateway.finish_document($1::text, $2::int, $3::text, $4::text, $5::int, $6::jsonb, $7::jsonb, $8::jsonb)',
);

/**
 * finishDocument + activateHeads(the document's order key) + finalizeWhenDone's reads, in one round trip
 * (procedure `gateway.finish_document`, migration 004). Each step is committed before the next looks, as when
 * they were separate statements. Without `outcome`, only the follow-up (the re-run of a job whose first run
 * recorded the outcome). Not inside a transaction: the procedure commits.
 */
export async function finishDocumentAndAdvance(
  db: Db,
  fileId: string,
  idx: number,
  orderKey: string,
  outcome: DocumentOutcome | null,
): Promise<FinishAndAdvanceResult> {
  const { rows } = await db.query<{ o_finished: boolean | null; o_next_file_id: string | null; o_next_idx: number | null; o_file_state: string | null; o_pending: boolean | null }>(
    FINISH_DOCUMENT,
    [
      fileId,
      idx,
      orderKey,
      outcome?.state ?? null,
      outcome?.engineStatus ?? null,
      outcome?.response === undefined ? null : storableJson(outcome.response),
      outcome?.problem === undefined ? null : storableJson(outcome.problem),
      outcome?.error === undefined ? null : storableJson(outcome.error),
    ],
  );
  const row = rows[0];
  return {
    finished: row?.o_finished ?? false,
    next: row && row.o_next_file_id !== null && row.o_next_idx !== null ? [{ fileId: row.o_next_file_id, idx: row.o_next_idx }] : [],
    fileState: row?.o_file_state ?? undefined,
    pending: row?.o_pending ?? undefined,
  };
}

/** Records a final outcome; only a QUEUED document moves, so a second worker's late answer changes nothing. */
export async function finishDocument(
  db: Db,
  fileId: string,
  idx: number,
  outcome: { state: 'ACCEPTED' | 'REJECTED' | 'FAILED'; engineStatus?: number; response?: unknown; problem?: unknown; error?: IntakeErrorValue[] },
): Promise<boolean> {
  const { rows } = await db.query<{ idx: number }>(
    `UPDATE gateway.documents
        SET state = $3, engine_status = $4, response = $5::jsonb, problem = $6::jsonb, error = COALESCE($7::jsonb, error), updated_at = now()
      WHERE file_id = $1 AND idx = $2 AND state = 'QUEUED'
      RETURNING idx`,
    [
      fileId,
      idx,
      outcome.state,
      outcome.engineStatus ?? null,
      outcome.response === undefined ? null : storableJson(outcome.response),
      outcome.problem === undefined ? null : storableJson(outcome.problem),
      outcome.error === undefined ? null : storableJson(outcome.error),
    ],
  );
  return rows.length > 0;
}

/** Whether any document of the file is still on its way (WAITING or QUEUED): one probe of a partial index. */
export async function hasPendingDocuments(db: Queryable, fileId: string): Promise<boolean> {
  const { rows } = await db.query<{ pending: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM gateway.documents WHERE file_id = $1 AND state IN ('WAITING', 'QUEUED')) AS pending`,
    [fileId],
  );
  return rows[0]?.pending ?? false;
}

export async function documentCounts(db: Queryable, fileId: string): Promise<Partial<Record<DocumentState, number>>> {
  const { rows } = await db.query<{ state: DocumentState; n: number }>(
    'SELECT state, count(*)::int AS n FROM gateway.documents WHERE file_id = $1 GROUP BY state',
    [fileId],
  );
  return Object.fromEntries(rows.map((row) => [row.state, row.n]));
}
