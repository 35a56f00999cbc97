import type { Queryable } from '../../store/db.ts';

/** What the listing said about a remote file: its identity in `gateway.remote_files`. */
export interface RemoteFileKey {
  customer: string;
  remotePath: string;
  sizeBytes: number;
  mtimeMs: number;
}

export type RemoteFileState = 'TAKEN' | 'MOVED' | 'DELETED' | 'REFUSED';

export interface RemoteFileRow {
  customer: string;
  remote_path: string;
  size_bytes: number;
  remote_mtime: Date;
  state: RemoteFileState;
  sha256: string | null;
  file_id: string | null;
  processed_path: string | null;
  last_error: string | null;
  taken_at: Date;
  updated_at: Date;
}

const KEY_WHERE = 'customer = $1 AND remote_path = $2 AND size_bytes = $3 AND remote_mtime = $4::timestamptz';
const keyParams = (key: RemoteFileKey) => [key.customer, key.remotePath, key.sizeBytes, new Date(key.mtimeMs).toISOString()];

export async function findRemoteFile(db: Queryable, key: RemoteFileKey): Promise<RemoteFileRow | undefined> {
  const { rows } = await db.query<RemoteFileRow>(`SELECT * FROM gateway.remote_files WHERE ${KEY_WHERE}`, keyParams(key));
  return rows[0];
}

/**
 * Remembers a file the inbox now holds (or refused). Idempotent: a second record of the same file keeps the first.
 * A row already MOVED or DELETED is of an earlier upload that has left the directory: the new one replaces it.
 */
export async function rememberRemoteFile(
  db: Queryable,
  key: RemoteFileKey,
  fields: { state: 'TAKEN'; fileId: string; sha256: string } | { state: 'REFUSED'; error: string },
): Promise<void> {
  await db.query(
    `INSERT INTO gateway.remote_files (customer, remote_path, size_bytes, remote_mtime, state, file_id, sha256, last_error)
     VALUES ($1, $2, $3, $4::timestamptz, $5, $6, $7, $8)
     ON CONFLICT (customer, remote_path, size_bytes, remote_mtime) DO UPDATE
       SET state = EXCLUDED.state, file_id = EXCLUDED.file_id, sha256 = EXCLUDED.sha256, last_error = EXCLUDED.last_error,
           processed_path = NULL, taken_at = now(), updated_at = now()
       WHERE gateway.remote_files.state IN ('MOVED', 'DELETED')`,
    [...keyParams(key), fields.state, fields.state === 'TAKEN' ? fields.fileId : null, fields.state === 'TAKEN' ? fields.sha256 : null, fields.state === 'REFUSED' ? fields.error : null],
  );
}

/** The file left the inbound directory (or could not: `error`, and it stays TAKEN to be retried). */
export async function settleRemoteFile(
  db: Queryable,
  key: RemoteFileKey,
  outcome: { state: 'MOVED'; processedPath: string } | { state: 'DELETED' } | { error: string },
): Promise<void> {
  if ('error' in outcome) {
    await db.query(`UPDATE gateway.remote_files SET last_error = $5, updated_at = now() WHERE ${KEY_WHERE}`, [...keyParams(key), outcome.error]);
    return;
  }
  await db.query(
    `UPDATE gateway.remote_files SET state = $5, processed_path = $6, last_error = NULL, updated_at = now() WHERE ${KEY_WHERE}`,
    [...keyParams(key), outcome.state, outcome.state === 'MOVED' ? outcome.processedPath : null],
  );
}

/** Every remembered file of a customer, oldest first (for `intake files` style views and tests). */
export async function listRemoteFiles(db: Queryable, customer: string): Promise<RemoteFileRow[]> {
  const { rows } = await db.query<RemoteFileRow>('SELECT * FROM gateway.remote_files WHERE customer = $1 ORDER BY taken_at, remote_path', [customer]);
  return rows;
}
