import { createHash } from 'node:crypto';
import { ImapFlow, type FetchMessageObject } from 'imapflow';
import type { Inbox } from '../../inbox/inbox.ts';
import type { Logger } from '../../log/logger.ts';
import type { Db } from '../../store/db.ts';
import { MAILBOX_ERRORS, quarantineReason } from './mailbox-errors.ts';
import { findMessage, findReceivedPart, markMoved, readCursor, recentProblemReply, recordMessage, setReplyState, writeCursor, type MailboxCursor, type MailboxMessageRecord } from './mailbox-ledger.ts';
import { MailboxSettingsSchema, type MailboxSettings, type MailboxSettingsInput } from './mailbox-settings.ts';
import { AUTOMATIC_SIGNAL_HEADERS, automaticSignals, headerLookup, readMessage, type MessageDecision, type MessageFacts } from './read-message.ts';
import type { EmailReplyTo, ReplyMailer } from './reply-mailer.ts';
import type { MailboxCustomers } from './sender-directory.ts';

export interface MailboxWatcherOptions {
  settings: MailboxSettingsInput;
  db: Db;
  inbox: Pick<Inbox, 'receive'>;
  customers: MailboxCustomers;
  /** Sends "what was wrong" replies (a quarantine, attachments left out) to known senders. Without it they are recorded as FAILED, never sent. */
  replies?: ReplyMailer;
  logger: Logger;
  /** How long `close()` lets the message in hand finish before the connection is cut. Default 10 s. */
  closeGraceMs?: number;
}

/**
 * Hands a connection-level failure back to the loop (the message is retried on the next connection) rather than
 * counting it against the message.
 */
class ConnectionLost extends Error {
  override readonly name = 'ConnectionLost';
}

/**
 * Watches one IMAP folder (IDLE, with a periodic poll as fallback) and hands the files of every message from an
 * allowed sender to the inbox; the message is moved to `Processed` only once the inbox has every file, or to
 * `Quarantine` with the reason recorded in `gateway.mailbox_messages`.
 *
 * Nothing missed, nothing twice: messages are handled in UID order and the cursor (UIDVALIDITY, last UID) in the
 * ledger only passes a message once it is recorded and moved. A message is recorded under the sha256 of its
 * bytes before it is moved, so a crash between the two repeats only the move; each file carries its message key
 * and part in `reply_to`, so a crash between the inbox and the record does not hand a file over twice. When the
 * server's UIDVALIDITY changes, the cursor restarts at 0 and the same two keys make re-reading the folder safe.
 *
 * An imapflow client never reconnects: every closed connection is followed by a new client, after a delay that
 * doubles up to `maxReconnectDelayMs`.
 */
export class MailboxWatcher {
  readonly settings: MailboxSettings;
  /** The cursor's key in the ledger. */
  readonly mailboxName: string;
  private readonly logger: Logger;
  private closing = false;
  private loop: Promise<void> | undefined;
  private client: ImapFlow | undefined;
  private poked = false;
  private wake: (() => void) | undefined;
  /** Failed attempts per UID; in memory: a restart gives a stuck message a fresh set of attempts, which is harmless. */
  private readonly attempts = new Map<number, number>();
  private clientsBuilt = 0;

  constructor(private readonly options: MailboxWatcherOptions) {
    this.settings = MailboxSettingsSchema.parse(options.settings);
    this.mailboxName = this.settings.name ?? `${this.settings.user}@${this.settings.host}/${this.settings.folders.inbox}`;
    this.logger = options.logger.child({ channel: 'email', mailbox: this.mailboxName });
  }

  /** How many IMAP clients were built so far (one per connection). */
  get connections(): number {
    return this.clientsBuilt;
  }

  start(): void {
    if (this.loop) return;
    this.closing = false;
    this.loop = this.run();
  }

  /** Lets the message in hand finish (up to `closeGraceMs`), then logs out. Safe at any point: see the class comment. */
  async close(): Promise<void> {
    this.closing = true;
    this.poke();
    const loop = this.loop;
    if (!loop) return;
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.options.closeGraceMs ?? 10_000)));
    if ((await Promise.race([loop, graceOver])) === 'timeout') this.client?.close();
    clearTimeout(timer);
    await loop;
    this.loop = undefined;
  }

  private poke(): void {
    this.poked = true;
    this.wake?.();
  }

  /** Waits `ms`, or less when poked (new mail, a closed connection, `close()`). */
  private async pause(ms: number, options: { wakeOnPoke: boolean }): Promise<void> {
    if (this.closing) return;
    if (options.wakeOnPoke && this.poked) {
      this.poked = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        if (options.wakeOnPoke || this.closing) done();
      };
    });
    this.wake = undefined;
    this.poked = false;
  }

  private async run(): Promise<void> {
    const s = this.settings;
    let delay = s.reconnectDelayMs;
    while (!this.closing) {
      const connectionId = `imap-${process.pid}-${++this.clientsBuilt}`;
      const log = this.logger.child({ connectionId });
      const client = this.buildClient(connectionId);
      this.client = client;
      client.on('exists', () => this.poke());
      client.on('close', () => this.poke());
      // Without a listener an 'error' event would throw and take the process down; the loop reconnects instead.
      client.on('error', (error: Error) => log.warn({ err: error }, 'imap connection error'));
      try {
        await client.connect();
        log.info({ host: s.host, port: s.port, tls: s.tls }, 'imap connected');
        await this.ensureFolders(client);
        await client.mailboxOpen(s.folders.inbox);
        delay = s.reconnectDelayMs;
        while (!this.closing && client.usable) {
          await this.drain(client, log);
          if (this.closing || !client.usable) break;
          await this.pause(s.pollIntervalMs, { wakeOnPoke: true });
        }
      } catch (error) {
        if (!this.closing) log.warn({ err: error }, 'imap session failed');
      } finally {
        if (client.usable) await client.logout().catch(() => client.close());
        else client.close();
        this.client = undefined;
      }
      if (this.closing) break;
      log.info({ reconnectInMs: delay }, 'imap connection closed: building a new client');
      await this.pause(delay, { wakeOnPoke: false });
      delay = Math.min(delay * 2, s.maxReconnectDelayMs);
    }
    this.logger.info('mailbox watcher stopped');
  }

  private buildClient(connectionId: string): ImapFlow {
    const s = this.settings;
    return new ImapFlow({
      host: s.host,
      port: s.port,
      secure: s.tls === 'implicit',
      ...(s.tls === 'implicit' ? {} : { doSTARTTLS: s.tls === 'starttls' }),
      auth: { user: s.user, pass: s.password },
      tls: { rejectUnauthorized: s.rejectUnauthorized },
      id: connectionId,
      // imapflow's own lines are per command and carry no message context; ours do.
      logger: false,
      // IDLE starts once the folder is drained and the lock released; the default 15 s would leave a window in
      // which new mail is only noticed by the poll.
      autoIdleDelay: 500,
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
    });
  }

  private async ensureFolders(client: ImapFlow): Promise<void> {
    const existing = new Set((await client.list()).map((entry) => entry.path));
    for (const folder of [this.settings.folders.processed, this.settings.folders.quarantine]) {
      if (!existing.has(folder)) await client.mailboxCreate(folder);
    }
  }

  /** Handles every message above the cursor, in UID order; stops at the first that cannot be finished now. */
  private async drain(client: ImapFlow, log: Logger): Promise<void> {
    const { db } = this.options;
    const lock = await client.getMailboxLock(this.settings.folders.inbox);
    try {
      const mailbox = client.mailbox;
      if (!mailbox) throw new ConnectionLost('no mailbox selected');
      const uidValidity = BigInt(mailbox.uidValidity);
      let cursor: MailboxCursor | undefined = await readCursor(db, this.mailboxName);
      if (!cursor || cursor.uidValidity !== uidValidity) {
        if (cursor) {
          log.warn({ previousUidValidity: cursor.uidValidity.toString(), uidValidity: uidValidity.toString() }, 'UIDVALIDITY changed: re-reading the folder from UID 1; handled messages are recognised by their bytes');
        }
        cursor = { uidValidity, lastUid: 0 };
        await writeCursor(db, this.mailboxName, cursor, { reset: true });
        this.attempts.clear();
      }
      const found = await client.search({ uid: `${cursor.lastUid + 1}:*` }, { uid: true });
      // `N:*` always includes the highest UID, even when it is below N (RFC 3501): filter.
      const uids = (found || []).filter((uid) => uid > cursor.lastUid).sort((a, b) => a - b);
      for (const uid of uids) {
        if (this.closing || !client.usable) break;
        if (!(await this.handle(client, uid, uidValidity, log.child({ uid })))) break;
        await writeCursor(db, this.mailboxName, { uidValidity, lastUid: uid });
      }
    } finally {
      lock.release();
    }
  }

  /** True when the message is finished (recorded and moved, or gone); false to retry it later. */
  private async handle(client: ImapFlow, uid: number, uidValidity: bigint, log: Logger): Promise<boolean> {
    const { db } = this.options;
    const { limits, folders } = this.settings;
    try {
      const meta = await client.fetchOne(String(uid), { uid: true, size: true, envelope: true, internalDate: true, headers: AUTOMATIC_SIGNAL_HEADERS }, { uid: true });
      if (!meta) return true; // expunged by another client meanwhile
      let decision: MessageDecision;
      let key: string;
      let raw: Buffer | undefined;
      const size = meta.size ?? 0;
      if (size > limits.maxMessageBytes) {
        const facts = envelopeFacts(meta);
        key = `envelope:${sha256(JSON.stringify([facts.messageId, facts.sender, facts.subject, size, String(meta.internalDate ?? '')]))}`;
        decision = {
          kind: 'quarantine',
          facts,
          customer: facts.sender ? this.options.customers.customerForSender(facts.sender) : undefined,
          reason: quarantineReason('MAILBOX_MESSAGE_TOO_LARGE', `${size} bytes; the limit is ${limits.maxMessageBytes}`),
          ignored: [],
        };
      } else {
        const full = await client.fetchOne(String(uid), { uid: true, source: true }, { uid: true });
        if (!full || !full.source) return true;
        raw = full.source;
        key = `sha256:${sha256(raw)}`;
        decision = { kind: 'quarantine', facts: envelopeFacts(meta), customer: undefined, reason: quarantineReason('MAILBOX_BAD_MIME'), ignored: [] };
      }

      let record = await findMessage(db, this.mailboxName, key);
      if (record) {
        log.info({ messageKey: key, outcome: record.outcome }, 'message already handled: finishing its move');
      } else {
        if (raw) decision = await readMessage(raw, limits, this.options.customers, this.settings.authservId !== undefined ? { authservId: this.settings.authservId } : {});
        const failures = this.attempts.get(uid) ?? 0;
        if (failures >= this.settings.maxAttempts) {
          decision = { kind: 'quarantine', facts: decision.facts, customer: decision.customer, reason: quarantineReason('MAILBOX_PROCESSING_FAILED', `${failures} attempts`), ignored: [] };
        }
        record = await this.act(decision, { key, uid, uidValidity, size }, log);
      }
      if (record.replyState === 'PENDING') await this.replyAboutProblem(record, log);
      const target = record.outcome === 'PROCESSED' ? folders.processed : folders.quarantine;
      if (!client.usable) throw new ConnectionLost('connection closed before the move');
      const moved = await client.messageMove(String(uid), target, { uid: true });
      if (!moved) throw new Error(`moving the message to ${target} failed`);
      await markMoved(db, this.mailboxName, key);
      this.attempts.delete(uid);
      log.info(
        { messageKey: key, sender: record.sender, customer: record.customer, outcome: record.outcome, reasonCode: record.reasonCode, reason: record.reason, fileIds: record.fileIds, folder: target },
        record.outcome === 'PROCESSED' ? 'message processed' : 'message quarantined',
      );
      return true;
    } catch (error) {
      if (this.closing || !client.usable || error instanceof ConnectionLost) {
        log.warn({ err: error }, 'connection lost while handling a message: retried on the next connection');
        throw error instanceof ConnectionLost ? error : new ConnectionLost((error as Error).message);
      }
      const attempts = (this.attempts.get(uid) ?? 0) + 1;
      this.attempts.set(uid, attempts);
      log.warn({ err: error, attempts, maxAttempts: this.settings.maxAttempts }, 'handling the message failed: retried on the next pass');
      return false;
    }
  }

  /** Hands the files to the inbox and records the outcome; from here on the message is only ever moved. */
  private async act(decision: MessageDecision, message: { key: string; uid: number; uidValidity: bigint; size: number }, log: Logger): Promise<MailboxMessageRecord> {
    const { db, inbox } = this.options;
    const { facts } = decision;
    const base = {
      mailbox: this.mailboxName,
      messageKey: message.key,
      uidValidity: message.uidValidity,
      uid: message.uid,
      messageId: facts.messageId,
      sender: facts.sender,
      subject: facts.subject,
      sizeBytes: message.size,
      customer: decision.customer,
    };
    if (decision.kind === 'quarantine') return recordMessage(db, { ...base, ...messageOutcome(decision), fileIds: [] });
    const fileIds: string[] = [];
    for (const file of decision.files) {
      const digest = sha256(file.content);
      const earlier = await findReceivedPart(db, decision.customer, digest, message.key, file.part);
      if (earlier) {
        log.info({ fileId: earlier, file: file.name }, 'attachment already in the inbox from an earlier attempt');
        fileIds.push(earlier);
        continue;
      }
      const replyTo: EmailReplyTo = {
        channel: 'email',
        address: facts.sender,
        ...(facts.messageId ? { messageId: facts.messageId } : {}),
        references: facts.references,
        subject: facts.subject,
        mailbox: this.mailboxName,
        messageKey: message.key,
        part: file.part,
      };
      const receipt = await inbox.receive({ customer: decision.customer, channel: 'email', originalName: file.name, sender: facts.sender, replyTo, content: file.content });
      log.info({ fileId: receipt.fileId, customer: decision.customer, file: file.name, state: receipt.state }, 'attachment handed to the inbox');
      fileIds.push(receipt.fileId);
    }
    return recordMessage(db, { ...base, ...messageOutcome(decision), fileIds });
  }

  /** A reply failure is recorded, never retried forever: it must not hold the mailbox up. */
  private async replyAboutProblem(record: MailboxMessageRecord, log: Logger): Promise<void> {
    const { db, replies } = this.options;
    if (!replies) {
      await setReplyState(db, record.mailbox, record.messageKey, 'FAILED', 'no SMTP settings: replies are off');
      log.warn({ sender: record.sender, reasonCode: record.reasonCode }, 'what-was-wrong reply not sent: no SMTP settings');
      return;
    }
    const earlier = await recentProblemReply(db, record.sender, this.settings.quarantineReplyIntervalMs);
    if (earlier) {
      // NONE with the why in reply_error: reply_state has no SKIPPED (its CHECK lives in the ledger migrations).
      const note = `not sent: this sender was already told about "${earlier.subject}" at ${earlier.handledAt.toISOString()}; at most one reply per sender in ${Math.ceil(this.settings.quarantineReplyIntervalMs / 60_000)} min (quarantineReplyIntervalMs)`;
      await setReplyState(db, record.mailbox, record.messageKey, 'NONE', note);
      log.info({ sender: record.sender, reasonCode: record.reasonCode }, 'what-was-wrong reply not sent: the sender had one recently');
      return;
    }
    try {
      await replies.send({
        to: record.sender,
        subject: record.subject,
        ...(record.messageId ? { inReplyTo: record.messageId } : {}),
        references: [],
        text: replyText(record),
        messageIdLocalPart: `${record.outcome === 'PROCESSED' ? 'not-taken' : 'quarantine'}-${record.messageKey.replace(/^[a-z]+:/, '').slice(0, 32)}`,
      });
      await setReplyState(db, record.mailbox, record.messageKey, 'SENT');
      log.info({ sender: record.sender, reasonCode: record.reasonCode }, 'what-was-wrong reply sent');
    } catch (error) {
      await setReplyState(db, record.mailbox, record.messageKey, 'FAILED', (error as Error).message);
      log.warn({ err: error, sender: record.sender, reasonCode: record.reasonCode }, 'what-was-wrong reply failed');
    }
  }
}

function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Facts from the server's ENVELOPE and AUTOMATIC_SIGNAL_HEADERS, for a message we do not download. */
function envelopeFacts(meta: FetchMessageObject): MessageFacts {
  const envelope = meta.envelope;
  const messageId = envelope?.messageId && /^<[^<>\s]+>$/.test(envelope.messageId) ? envelope.messageId : undefined;
  const sender = (envelope?.from?.[0]?.address ?? '').trim().toLowerCase();
  return {
    sender,
    subject: (envelope?.subject ?? '').slice(0, 500),
    messageId,
    references: [],
    automatic: automaticSignals(headerLookup(meta.headers ?? Buffer.alloc(0)), sender).automatic,
  };
}

/**
 * What the ledger records for a decision. A known, human sender is owed a reply whenever something it sent was
 * not taken, the whole message or some of its attachments: untold, those files would be gone without a word.
 */
export function messageOutcome(decision: MessageDecision): Pick<MailboxMessageRecord, 'outcome' | 'reasonCode' | 'reason' | 'replyState'> {
  const { reason } = decision;
  const replyDue = reason !== undefined && MAILBOX_ERRORS[reason.code].reply && decision.customer !== undefined && !decision.facts.automatic;
  return { outcome: decision.kind === 'take' ? 'PROCESSED' : 'QUARANTINED', reasonCode: reason?.code, reason: reason?.message, replyState: replyDue ? 'PENDING' : 'NONE' };
}

export function replyText(record: Pick<MailboxMessageRecord, 'subject' | 'reason' | 'outcome'>): string {
  const subject = record.subject ? `"${record.subject}"` : '(no subject)';
  if (record.outcome === 'PROCESSED') {
    return (
      `Your message ${subject} was received, but ${record.reason}.\n\n` +
      `The other files of this message were taken; the result of each follows in its own reply. Please send the files named above again, corrected, as attachments of a new message.\n`
    );
  }
  return (
    `Your message ${subject} was not processed: ${record.reason ?? 'it could not be read'}.\n\n` +
    `Nothing from this message was taken. Please send your files again as attachments of a new message.\n`
  );
}
