import type { Queryable } from '../../store/db.ts';
import type { MailboxErrorCode } from './mailbox-errors.ts';

/** Where the watcher is in one folder: UIDs are only comparable under the same UIDVALIDITY. */
export interface MailboxCursor {
  uidValidity: bigint;
  lastUid: number;
}

export type MessageOutcome = 'PROCESSED' | 'QUARANTINED';
export type ReplyState = 'NONE' | 'PENDING' | 'SENT' | 'FAILED';

export interface MailboxMessageRecord {
  mailbox: string;
  messageKey: string;
  uidValidity: bigint;
  uid: number;
  messageId: string | undefined;
  sender: string;
  subject: string;
  sizeBytes: number | undefined;
  customer: string | undefined;
  outcome: MessageOutcome;
  reasonCode: MailboxErrorCode | undefined;
  reason: string | undefined;
  fileIds: string[];
  replyState: ReplyState;
}

interface MessageRow {
  mailbox: string;
  message_key: string;
  uid_validity: number;
  uid: number;
  message_id: string | null;
  sender: string;
  subject: string;
  size_bytes: number | null;
  customer: string | null;
  outcome: MessageOutcome;
  reason_code: MailboxErrorCode | null;
  reason: string | null;
  file_ids: string[];
  reply_state: ReplyState;
}

export async function readCursor(db: Queryable, mailbox: string): Promise<MailboxCursor | undefined> {
  // bigint as text: UIDVALIDITY is a 32-bit unsigned value, and the drivers turn int8 into JS numbers.
  const { rows } = await db.query<{ uid_validity: string; last_uid: number }>('SELECT uid_validity::text AS uid_validity, last_uid FROM gateway.mailbox_cursors WHERE mailbox = $1', [mailbox]);
  const row = rows[0];
  return row ? { uidValidity: BigInt(row.uid_validity), lastUid: Number(row.last_uid) } : undefined;
}

/** Sets the cursor; never moves it backwards under the same UIDVALIDITY (two watchers racing, or a late write). */
export async function writeCursor(db: Queryable, mailbox: string, cursor: MailboxCursor, options: { reset?: boolean } = {}): Promise<void> {
  await db.query(
    `INSERT INTO gateway.mailbox_cursors (mailbox, uid_validity, last_uid) VALUES ($1, $2::bigint, $3)
     ON CONFLICT (mailbox) DO UPDATE SET
       last_uid = CASE WHEN $4 OR gateway.mailbox_cursors.uid_validity <> EXCLUDED.uid_validity THEN EXCLUDED.last_uid
                       ELSE GREATEST(gateway.mailbox_cursors.last_uid, EXCLUDED.last_uid) END,
       uid_validity = EXCLUDED.uid_validity,
       updated_at = now()`,
    [mailbox, cursor.uidValidity.toString(), cursor.lastUid, options.reset === true],
  );
}

export async function findMessage(db: Queryable, mailbox: string, messageKey: string): Promise<MailboxMessageRecord | undefined> {
  const { rows } = await db.query<MessageRow>('SELECT * FROM gateway.mailbox_messages WHERE mailbox = $1 AND message_key = $2', [mailbox, messageKey]);
  return rows[0] ? fromRow(rows[0]) : undefined;
}

/** Records how a message was handled; a second record of the same message keeps the first (it is the one acted on). */
export async function recordMessage(db: Queryable, record: MailboxMessageRecord): Promise<MailboxMessageRecord> {
  await db.query(
    `INSERT INTO gateway.mailbox_messages (mailbox, message_key, uid_validity, uid, message_id, sender, subject, size_bytes, customer, outcome, reason_code, reason, file_ids, reply_state)
     VALUES ($1, $2, $3::bigint, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14)
     ON CONFLICT (mailbox, message_key) DO NOTHING`,
    [
      record.mailbox,
      record.messageKey,
      record.uidValidity.toString(),
      record.uid,
      record.messageId ?? null,
      record.sender,
      record.subject,
      record.sizeBytes ?? null,
      record.customer ?? null,
      record.outcome,
      record.reasonCode ?? null,
      record.reason ?? null,
      JSON.stringify(record.fileIds),
      record.replyState,
    ],
  );
  return (await findMessage(db, record.mailbox, record.messageKey))!;
}

export async function setReplyState(db: Queryable, mailbox: string, messageKey: string, state: ReplyState, error?: string): Promise<void> {
  await db.query('UPDATE gateway.mailbox_messages SET reply_state = $3, reply_error = $4 WHERE mailbox = $1 AND message_key = $2', [mailbox, messageKey, state, error ?? null]);
}

/**
 * The latest "what was wrong" reply sent to `sender` within the last `withinMs`, if any: about a quarantined
 * message, or about attachments a processed one left out (results go by the inbox and are never recorded here).
 * `handled_at` stands in for the time it was sent: the reply follows the record within one pass.
 */
export async function recentProblemReply(db: Queryable, sender: string, withinMs: number): Promise<{ subject: string; handledAt: Date } | undefined> {
  const { rows } = await db.query<{ subject: string; handled_at: Date | string }>(
    `SELECT subject, handled_at FROM gateway.mailbox_messages
     WHERE handled_at > now() - $2::double precision * interval '1 millisecond' AND sender = $1 AND reply_state = 'SENT'
     ORDER BY handled_at DESC LIMIT 1`,
    [sender, withinMs],
  );
  const row = rows[0];
  return row ? { subject: row.subject, handledAt: new Date(row.handled_at) } : undefined;
}

export async function markMoved(db: Queryable, mailbox: string, messageKey: string): Promise<void> {
  await db.query('UPDATE gateway.mailbox_messages SET moved_at = now() WHERE mailbox = $1 AND message_key = $2', [mailbox, messageKey]);
}

/** Quarantined messages, newest first (operators' view; the reason is what the sender was told, if anything). */
export async function listQuarantined(db: Queryable, mailbox?: string): Promise<MailboxMessageRecord[]> {
  const { rows } = await db.query<MessageRow>(
    `SELECT * FROM gateway.mailbox_messages WHERE outcome = 'QUARANTINED' AND ($1::text IS NULL OR mailbox = $1) ORDER BY handled_at DESC, uid DESC`,
    [mailbox ?? null],
  );
  return rows.map(fromRow);
}

/**
 * The file an earlier attempt at this message already handed to the inbox for this part, if any. The inbox has
 * no idempotency key of its own, so the part's identity travels in `reply_to` and is looked up here (through
 * the customer + sha256 index): a message retried after a crash between the inbox and our own record does not
 * deliver its files twice.
 */
export async function findReceivedPart(db: Queryable, customer: string, sha256: string, messageKey: string, part: number): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM gateway.files
     WHERE customer = $1 AND sha256 = $2 AND channel = 'email' AND reply_to->>'messageKey' = $3 AND reply_to->>'part' = $4
     ORDER BY seq LIMIT 1`,
    [customer, sha256, messageKey, String(part)],
  );
  return rows[0]?.id;
}

function fromRow(row: MessageRow): MailboxMessageRecord {
  return {
    mailbox: row.mailbox,
    messageKey: row.message_key,
    uidValidity: BigInt(row.uid_validity),
    uid: Number(row.uid),
    messageId: row.message_id ?? undefined,
    sender: row.sender,
    subject: row.subject,
    sizeBytes: row.size_bytes ?? undefined,
    customer: row.customer ?? undefined,
    outcome: row.outcome,
    reasonCode: row.reason_code ?? undefined,
    reason: row.reason ?? undefined,
    fileIds: row.file_ids,
    replyState: row.reply_state,
  };
}
