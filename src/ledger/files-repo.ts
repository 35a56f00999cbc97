import type { Db, Queryable } from '../store/db.ts';
import type { IntakeErrorValue } from '../errors/intake-error.ts';
import type { SpoolMeta } from '../inbox/spool.ts';
import type { FileState } from './file-states.ts';
import { storableJson } from './storable-json.ts';

export interface FileRow {
  id: string;
  seq: number;
  customer: string;
  channel: string;
  original_name: string;
  size_bytes: number;
  sha256: string;
  sender: string;
  spool_path: string;
  reply_to: unknown;
  state: FileState;
  duplicate_of: string | null;
  replay_of: string | null;
  mapping_name: string | null;
  mapping_hash: string | null;
  document_count: number | null;
  test_mode: boolean;
  error: IntakeErrorValue | null;
  /** X12 input: the envelope analysis per functional group (the input of its 997). */
  acknowledgements: unknown[] | null;
  received_at: Date;
  finished_at: Date | null;
}

/**
 * Files that count as the original of later files with the same bytes: those whose documents are being or were
 * applied. A refused file (REJECTED, FAILED, DUPLICATE, or on its way there: FINALIZING, or any state with a
 * file-level error) applied nothing, so the customer may send the same bytes again under a corrected name. A file
 * still being received or parsed counts, so two copies arriving together still give one original and one DUPLICATE.
 */
const ORIGINAL_FILE = `state IN ('RECEIVED', 'QUEUED', 'PARSING', 'SUBMITTING', 'COMPLETED', 'PARTIAL') AND error IS NULL`;

/**
 * Records a spooled file. A file whose bytes match an original (see ORIGINAL_FILE) received from the same
 * customer within the window is recorded as DUPLICATE of the first. An empty file is never a duplicate: it has
 * nothing to apply, and its own result (EMPTY_FILE) says more. Idempotent: recording the same file id twice returns the first record
 * (start-up reconciliation may meet files the ledger already has).
 */
export async function recordReceivedFile(
  db: Db,
  meta: SpoolMeta,
  spoolPath: string,
  options: { duplicateWindowHours: number; replayOf?: string; queued?: boolean },
): Promise<FileRow> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`file-dedup:${meta.customer}:${meta.sha256}`]);
    const existing = await getFile(tx, meta.fileId);
    if (existing) return existing;
    const duplicate =
      options.replayOf || options.duplicateWindowHours <= 0 || meta.sizeBytes === 0
        ? undefined
        : (
            await tx.query<{ id: string }>(
              `SELECT id FROM gateway.files
                WHERE customer = $1 AND sha256 = $2 AND ${ORIGINAL_FILE}
                  AND received_at > $3::timestamptz - make_interval(secs => $4::float8 * 3600)
                ORDER BY seq LIMIT 1`,
              [meta.customer, meta.sha256, meta.receivedAt, options.duplicateWindowHours],
            )
          ).rows[0];
    // `queued`: the caller enqueues the parse job right after this commits (the inbox), so the file is recorded
    // QUEUED at once, saving a second transaction per file; should the enqueue fail, start-up re-queues it.
    const state: FileState = duplicate ? 'DUPLICATE' : options.queued ? 'QUEUED' : 'RECEIVED';
    const { rows } = await tx.query<FileRow>(
      `INSERT INTO gateway.files (id, customer, channel, original_name, size_bytes, sha256, sender, spool_path, reply_to, state, duplicate_of, replay_of, received_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12, $13) RETURNING *`,
      [
        meta.fileId,
        meta.customer,
        meta.channel,
        meta.originalName,
        meta.sizeBytes,
        meta.sha256,
        meta.sender,
        spoolPath,
        meta.replyTo === undefined ? null : storableJson(meta.replyTo),
        state,
        duplicate?.id ?? null,
        options.replayOf ?? null,
        meta.receivedAt,
      ],
    );
    const received = { channel: meta.channel, sizeBytes: meta.sizeBytes, sha256: meta.sha256, sender: meta.sender };
    const events: [string, unknown][] = [['RECEIVED', received]];
    if (state !== 'RECEIVED') events.push([state, duplicate ? { duplicateOf: duplicate.id } : null]);
    await tx.query(
      `INSERT INTO gateway.file_events (file_id, state, detail) SELECT $1, e.state, e.detail FROM jsonb_to_recordset($2::jsonb) AS e(state text, detail jsonb)`,
      [meta.fileId, storableJson(events.map(([eventState, detail]) => ({ state: eventState, detail })))],
    );
    return rows[0]!;
  });
}

export async function recordFileEvent(db: Queryable, fileId: string, state: string, detail?: unknown): Promise<void> {
  await db.query('INSERT INTO gateway.file_events (file_id, state, detail) VALUES ($1, $2, $3::jsonb)', [
    fileId,
    state,
    detail === undefined ? null : storableJson(detail),
  ]);
}

/** Moves a file to a state (recording the event); `from` guards against a stale worker moving it backwards. */
export async function setFileState(db: Db, ...args: FileStateChange): Promise<boolean> {
  return db.transaction((tx) => setFileStateIn(tx, ...args));
}

type FileStateChange = [
  fileId: string,
  state: FileState,
  fields?: { error?: IntakeErrorValue | null; mappingName?: string; mappingHash?: string; documentCount?: number; testMode?: boolean; detail?: unknown; event?: boolean },
  from?: readonly FileState[],
];

/** `setFileState` inside a caller's transaction, for a change that must land with other rows or not at all. */
export async function setFileStateIn(tx: Queryable, ...[fileId, state, fields = {}, from]: FileStateChange): Promise<boolean> {
  const { rows } = await tx.query<{ id: string }>(
    `UPDATE gateway.files SET state = $2,
            error = COALESCE($3::jsonb, error),
            mapping_name = COALESCE($4, mapping_name),
            mapping_hash = COALESCE($5, mapping_hash),
            document_count = COALESCE($6, document_count),
            test_mode = COALESCE($7, test_mode),
            finished_at = CASE WHEN $2 IN ('COMPLETED', 'PARTIAL', 'REJECTED', 'FAILED', 'DUPLICATE') THEN now() ELSE finished_at END
      WHERE id = $1 AND ($8::text[] IS NULL OR state = ANY($8::text[]))
      RETURNING id`,
    [
      fileId,
      state,
      fields.error ? storableJson(fields.error) : null,
      fields.mappingName ?? null,
      fields.mappingHash ?? null,
      fields.documentCount ?? null,
      fields.testMode ?? null,
      from ? [...from] : null,
    ],
  );
  if (rows.length === 0) return false;
  if (fields.event !== false) await recordFileEvent(tx, fileId, state, fields.detail ?? (fields.error ? { error: fields.error } : undefined));
  return true;
}

/**
 * The newest file of a customer's channel whose reply address records this `source` (where the channel took it
 * from), to recognise a file a channel took but did not finish taking before a crash.
 */
export async function findFileBySource(db: Queryable, customer: string, channel: string, source: unknown): Promise<FileRow | undefined> {
  const { rows } = await db.query<FileRow>(
    `SELECT * FROM gateway.files WHERE customer = $1 AND channel = $2 AND reply_to->'source' = $3::jsonb ORDER BY received_at DESC LIMIT 1`,
    [customer, channel, storableJson(source)],
  );
  return rows[0];
}

export async function getFile(db: Queryable, fileId: string): Promise<FileRow | undefined> {
  const { rows } = await db.query<FileRow>('SELECT * FROM gateway.files WHERE id = $1', [fileId]);
  return rows[0];
}

export async function listFiles(db: Queryable, filter: { customer?: string; state?: string; limit?: number }): Promise<FileRow[]> {
  const { rows } = await db.query<FileRow>(
    `SELECT * FROM gateway.files
      WHERE ($1::text IS NULL OR customer = $1) AND ($2::text IS NULL OR state = $2)
      ORDER BY seq DESC LIMIT $3`,
    [filter.customer ?? null, filter.state ?? null, filter.limit ?? 50],
  );
  return rows;
}

export async function fileEvents(db: Queryable, fileId: string): Promise<{ at: Date; state: string; detail: unknown }[]> {
  const { rows } = await db.query<{ at: Date; state: string; detail: unknown }>(
    'SELECT at, state, detail FROM gateway.file_events WHERE file_id = $1 ORDER BY id',
    [fileId],
  );
  return rows;
}
