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
  /** An earlier file with the same bytes that was still on its way when this one arrived (see `settleCopy`). */
  awaits_original: string | null;
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
 * An earlier file with the same bytes makes a later one a DUPLICATE only once it applied something: it ended
 * COMPLETED or PARTIAL, or one of its documents was accepted (a file that ended FAILED after that, or one still
 * submitting). A refused file (REJECTED, FAILED, or on its way there: a file-level error) applied nothing, so the
 * customer may send the same bytes again under a corrected name. Until one of these is known the earlier file is
 * undecided, and so is the later one: two copies arriving together, the first under a name no mapping matches,
 * made the second a DUPLICATE of a file then refused, and neither was applied.
 */
const sameBytesOriginal = (range: string) => `
  SELECT id, applied FROM (
    SELECT f.id, f.seq,
           f.state IN ('COMPLETED', 'PARTIAL') OR EXISTS (SELECT 1 FROM gateway.documents d WHERE d.file_id = f.id AND d.state = 'ACCEPTED') AS applied,
           f.state IN ('RECEIVED', 'QUEUED', 'PARSING', 'SUBMITTING', 'FINALIZING') AND f.error IS NULL AS undecided
      FROM gateway.files f
     WHERE f.customer = $1 AND f.sha256 = $2 AND ${range}
  ) AS same_bytes
  WHERE applied OR undecided
  ORDER BY applied DESC, seq LIMIT 1`;

/** The first earlier file with the same bytes that applied something, else the first still undecided. */
async function findOriginal(db: Queryable, range: string, params: unknown[]): Promise<{ id: string; applied: boolean } | undefined> {
  const { rows } = await db.query<{ id: string; applied: boolean }>(sameBytesOriginal(range), params);
  return rows[0];
}

/**
 * Records a spooled file. A file whose bytes match an original that applied something (see sameBytesOriginal),
 * received from the same customer within the window, is recorded as DUPLICATE of the first; one whose bytes match
 * a file still undecided awaits it (`settleCopy` decides when its parse starts). An empty file is never a
 * duplicate: it has nothing to apply, and its own result (EMPTY_FILE) says more. Idempotent: recording the same
 * file id twice returns the first record (start-up reconciliation may meet files the ledger already has).
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
    const original =
      options.replayOf || options.duplicateWindowHours <= 0 || meta.sizeBytes === 0
        ? undefined
        : await findOriginal(tx, `f.received_at > $3::timestamptz - make_interval(secs => $4::float8 * 3600)`, [
            meta.customer,
            meta.sha256,
            meta.receivedAt,
            options.duplicateWindowHours,
          ]);
    const duplicateOf = original?.applied ? original.id : null;
    // `queued`: the caller enqueues the parse job right after this commits (the inbox), so the file is recorded
    // QUEUED at once, saving a second transaction per file; should the enqueue fail, start-up re-queues it.
    const state: FileState = duplicateOf ? 'DUPLICATE' : options.queued ? 'QUEUED' : 'RECEIVED';
    const { rows } = await tx.query<FileRow>(
      `INSERT INTO gateway.files (id, customer, channel, original_name, size_bytes, sha256, sender, spool_path, reply_to, state, duplicate_of, awaits_original, replay_of, received_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12, $13, $14) RETURNING *`,
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
        duplicateOf,
        original && !original.applied ? original.id : null,
        options.replayOf ?? null,
        meta.receivedAt,
      ],
    );
    const received = { channel: meta.channel, sizeBytes: meta.sizeBytes, sha256: meta.sha256, sender: meta.sender };
    const events: [string, unknown][] = [['RECEIVED', received]];
    if (state !== 'RECEIVED') events.push([state, duplicateOf ? { duplicateOf } : null]);
    await tx.query(
      `INSERT INTO gateway.file_events (file_id, state, detail) SELECT $1, e.state, e.detail FROM jsonb_to_recordset($2::jsonb) AS e(state text, detail jsonb)`,
      [meta.fileId, storableJson(events.map(([eventState, detail]) => ({ state: eventState, detail })))],
    );
    return rows[0]!;
  });
}

/**
 * Decides a file recorded while a file with the same bytes was undecided, once its parse may start (every earlier
 * file of its customer parsed). The candidates are that file and the later ones up to this one: all within the
 * duplicate window, and a file before it that had applied something made this one a DUPLICATE at receipt.
 * 'wait' while one of them may still apply something; `duplicateOf` when one did (the file is now DUPLICATE of
 * it, its result still to be written); 'process' when none did. Read from the ledger alone, so a restart meanwhile
 * changes nothing, and once decided the answer stays: a document once accepted stays accepted.
 */
export async function settleCopy(db: Db, file: FileRow): Promise<'wait' | 'process' | { duplicateOf: string }> {
  if (!file.awaits_original) return 'process';
  const original = await findOriginal(db, `f.seq >= (SELECT seq FROM gateway.files WHERE id = $3) AND f.seq < $4`, [file.customer, file.sha256, file.awaits_original, file.seq]);
  if (!original) return 'process';
  if (!original.applied) return 'wait';
  await db.transaction(async (tx) => {
    // finished_at stays empty: the finalize stage writes the result and finishes it, as for a DUPLICATE at receipt.
    const { rows } = await tx.query<{ id: string }>(
      `UPDATE gateway.files SET state = 'DUPLICATE', duplicate_of = $2 WHERE id = $1 AND state IN ('QUEUED', 'PARSING') RETURNING id`,
      [file.id, original.id],
    );
    if (rows.length > 0) await recordFileEvent(tx, file.id, 'DUPLICATE', { duplicateOf: original.id });
  });
  return { duplicateOf: original.id };
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
