import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailReplyDeliverer } from '../../../src/channels/mailbox/email-reply-deliverer.ts';
import { listQuarantined, readCursor, writeCursor } from '../../../src/channels/mailbox/mailbox-ledger.ts';
import { MailboxWatcher } from '../../../src/channels/mailbox/mailbox-watcher.ts';
import { ReplyMailer } from '../../../src/channels/mailbox/reply-mailer.ts';
import { createSenderDirectory } from '../../../src/channels/mailbox/sender-directory.ts';
import type { Inbox } from '../../../src/inbox/inbox.ts';
import { getFile, type FileRow } from '../../../src/ledger/files-repo.ts';
import { createLogger, silentLogger } from '../../../src/log/logger.ts';
import type { Db } from '../../../src/store/db.ts';
import { DOVECOT_BINARY, startDovecot, type DovecotServer } from './support/dovecot-server.ts';
import { appendMessages, createTestInbox, folderSubjects, waitFor } from './support/mailbox-harness.ts';
import { buildMessage, deeplyNestedMessage, manyPartsMessage } from './support/mail-fixtures.ts';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.ts';

const customers = createSenderDirectory({
  acme: { allowedSenders: ['orders@acme.test', '@acme-partner.test'], attachments: ['*.csv', '*.x12'] },
  globex: { allowedSenders: ['@globex.test'], takeBody: true },
});

interface EmailFile {
  id: string;
  customer: string;
  original_name: string;
  sender: string;
  state: string;
  spool_path: string;
  reply_to: { messageId?: string; subject: string; address: string };
}

async function emailFiles(db: Db): Promise<EmailFile[]> {
  const { rows } = await db.query<EmailFile>(`SELECT id, customer, original_name, sender, state, spool_path, reply_to FROM gateway.files WHERE channel = 'email' ORDER BY seq`);
  return rows;
}

async function messageRecords(db: Db): Promise<Array<{ uid: number; outcome: string; reason_code: string | null; reason: string | null; reply_state: string; subject: string }>> {
  const { rows } = await db.query<{ uid: number; outcome: string; reason_code: string | null; reason: string | null; reply_state: string; subject: string }>(
    'SELECT uid, outcome, reason_code, reason, reply_state, subject FROM gateway.mailbox_messages ORDER BY uid',
  );
  return rows;
}

describe.skipIf(!DOVECOT_BINARY)('mailbox watcher against a real Dovecot', () => {
  let dovecot: DovecotServer;
  let sink: SmtpSink;
  let mailer: ReplyMailer;

  beforeAll(async () => {
    [dovecot, sink] = await Promise.all([startDovecot({ users: 12 }), startSmtpSink()]);
    mailer = new ReplyMailer({ host: '127.0.0.1', port: sink.port, tls: 'none', from: 'Intake <intake@gateway.test>' });
  });
  afterAll(async () => {
    mailer?.close();
    await Promise.all([dovecot?.destroy(), sink?.close()]);
  });

  const watcher = (userIndex: number, db: Db, inbox: Pick<Inbox, 'receive'>, limits: Record<string, number> = {}) => {
    const { user, password } = dovecot.users[userIndex]!;
    return new MailboxWatcher({
      settings: { host: dovecot.host, port: dovecot.port, tls: 'none', user, password, pollIntervalMs: 1000, reconnectDelayMs: 100, maxReconnectDelayMs: 1000, limits },
      db,
      inbox,
      customers,
      replies: mailer,
      logger: silentLogger,
      closeGraceMs: 5000,
    });
  };

  const repliesAbout = (subject: string) => sink.mails.filter((mail) => mail.parsed.subject === `Re: ${subject}`);

  it('hands a CSV from an allowed sender to the inbox and moves the message to Processed; the result reply threads under it with the CSV attached', async () => {
    const box = await createTestInbox();
    const w = watcher(0, box.t.db, box.inbox);
    const resultsDir = mkdtempSync(join(tmpdir(), 'intake-mailbox-results-'));
    try {
      w.start();
      await appendMessages(dovecot, 0, [
        buildMessage({ from: 'orders@acme.test', subject: 'Manifest 42', messageId: '<manifest-42@acme.test>', attachments: [{ filename: 'orders.csv', content: 'order,qty\nA1,3\n' }, { filename: 'logo.png', content: 'png', contentType: 'image/png', contentId: '<logo@acme.test>' }] }),
      ]);
      await waitFor('the message in Processed', async () => (await folderSubjects(dovecot, 0, 'Processed')).includes('Manifest 42'));
      expect(await folderSubjects(dovecot, 0, 'INBOX')).toEqual([]);
      const files = await emailFiles(box.t.db);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatchObject({ customer: 'acme', original_name: 'orders.csv', sender: 'orders@acme.test', state: 'QUEUED' });
      expect(readFileSync(files[0]!.spool_path, 'utf8')).toBe('order,qty\nA1,3\n');
      expect(files[0]!.reply_to).toMatchObject({ address: 'orders@acme.test', messageId: '<manifest-42@acme.test>', subject: 'Manifest 42' });
      expect(box.queues.parsed).toEqual([files[0]!.id]);
      expect(await messageRecords(box.t.db)).toMatchObject([{ outcome: 'PROCESSED', reply_state: 'NONE' }]);

      // The finished file's results go back as a reply in the same thread.
      await box.t.db.query(`UPDATE gateway.files SET state = 'COMPLETED', document_count = 1 WHERE id = $1`, [files[0]!.id]);
      const row = (await getFile(box.t.db, files[0]!.id)) as FileRow;
      mkdirSync(join(resultsDir, row.id));
      const result = (name: string, content: string) => {
        writeFileSync(join(resultsDir, row.id, name), content);
        return { name, path: join(resultsDir, row.id, name) };
      };
      const deliverer = emailReplyDeliverer({ host: '127.0.0.1', port: sink.port, tls: 'none', from: 'Intake <intake@gateway.test>' });
      try {
        await deliverer.deliver(row, [result('orders.csv.result.csv', 'line,status\n2,ACCEPTED\n'), result('orders.csv.result.json', '{}'), result('orders.csv.997.x12', 'ISA*00~')]);
      } finally {
        deliverer.close();
      }
      const [reply] = await waitFor('the result reply', async () => {
        const found = repliesAbout('Manifest 42');
        return found.length > 0 && found;
      });
      expect(reply!.to).toEqual(['orders@acme.test']);
      expect(reply!.parsed.inReplyTo).toBe('<manifest-42@acme.test>');
      expect(reply!.parsed.references).toContain('<manifest-42@acme.test>');
      expect(reply!.parsed.headers.get('auto-submitted')).toBe('auto-replied');
      expect(reply!.parsed.text).toContain('"orders.csv" (1 document) was processed: every document was accepted');
      expect(reply!.parsed.attachments.map((a) => a.filename).sort()).toEqual(['orders.csv.997.x12', 'orders.csv.result.csv']);
      expect(reply!.parsed.attachments.find((a) => a.filename === 'orders.csv.result.csv')!.content.toString()).toBe('line,status\n2,ACCEPTED\n');
    } finally {
      await w.close();
      await box.drop();
      rmSync(resultsDir, { recursive: true, force: true });
    }
  });

  it('quarantines a message from an unknown sender and never replies to it', async () => {
    const box = await createTestInbox();
    const w = watcher(1, box.t.db, box.inbox);
    try {
      w.start();
      await appendMessages(dovecot, 1, [buildMessage({ from: 'someone@stranger.test', subject: 'Unknown sender', attachments: [{ filename: 'orders.csv', content: 'a,b\n' }] })]);
      await waitFor('the message in Quarantine', async () => (await folderSubjects(dovecot, 1, 'Quarantine')).includes('Unknown sender'));
      expect(await emailFiles(box.t.db)).toEqual([]);
      const [record] = await listQuarantined(box.t.db);
      expect(record).toMatchObject({ outcome: 'QUARANTINED', reasonCode: 'MAILBOX_UNKNOWN_SENDER', sender: 'someone@stranger.test', replyState: 'NONE' });
      // The reply would have been sent before the move: nothing can still be on its way.
      expect(repliesAbout('Unknown sender')).toEqual([]);
      expect(sink.mails.flatMap((m) => m.to)).not.toContain('someone@stranger.test');
    } finally {
      await w.close();
      await box.drop();
    }
  });

  it('quarantines a known sender\u2019s message without a usable attachment and tells the sender what was wrong', async () => {
    const box = await createTestInbox();
    const w = watcher(2, box.t.db, box.inbox);
    try {
      w.start();
      await appendMessages(dovecot, 2, [
        buildMessage({ from: 'orders@acme.test', subject: 'Forgot the file', messageId: '<forgot@acme.test>' }),
        buildMessage({ from: 'ops@acme-partner.test', subject: 'Wrong kind of file', attachments: [{ filename: 'orders.pdf', content: '%PDF', contentType: 'application/pdf' }] }),
      ]);
      await waitFor('both messages in Quarantine', async () => (await folderSubjects(dovecot, 2, 'Quarantine')).length === 2);
      expect(await emailFiles(box.t.db)).toEqual([]);
      const records = await messageRecords(box.t.db);
      expect(records).toMatchObject([
        { outcome: 'QUARANTINED', reason_code: 'MAILBOX_NO_USABLE_ATTACHMENT', reply_state: 'SENT' },
        { outcome: 'QUARANTINED', reason_code: 'MAILBOX_NO_USABLE_ATTACHMENT', reply_state: 'SENT' },
      ]);
      const [forgot] = repliesAbout('Forgot the file');
      expect(forgot!.to).toEqual(['orders@acme.test']);
      expect(forgot!.parsed.inReplyTo).toBe('<forgot@acme.test>');
      expect(forgot!.parsed.text).toContain('was not processed: the message has no attachment we take');
      const [wrong] = repliesAbout('Wrong kind of file');
      expect(wrong!.to).toEqual(['ops@acme-partner.test']);
      expect(wrong!.parsed.text).toContain('ignored "orders.pdf"');
    } finally {
      await w.close();
      await box.drop();
    }
  });

  it('takes the files of a message that also carries an empty one, and tells the sender in one reply that the empty file was not processed', async () => {
    const box = await createTestInbox();
    const w = watcher(11, box.t.db, box.inbox);
    try {
      w.start();
      await appendMessages(dovecot, 11, [
        buildMessage({
          from: 'orders@acme.test',
          subject: 'Lieferungen KW 3',
          messageId: '<kw3@acme.test>',
          attachments: [
            { filename: 'Lieferungen_%C3%BC%201.csv', encoded: true, content: 'id,qty\nL1,3\n' },
            { filename: 'Lieferungen_2.csv', content: 'id,qty\nL2,4\n' },
            { filename: 'empty.csv', content: '' },
          ],
        }),
      ]);
      await waitFor('the message in Processed', async () => (await folderSubjects(dovecot, 11, 'Processed')).includes('Lieferungen KW 3'));
      expect((await emailFiles(box.t.db)).map((f) => f.original_name)).toEqual(['Lieferungen_ü 1.csv', 'Lieferungen_2.csv']);
      // The reply is sent before the move: it is already here.
      expect(await messageRecords(box.t.db)).toMatchObject([{ outcome: 'PROCESSED', reason_code: 'MAILBOX_ATTACHMENTS_NOT_TAKEN', reason: 'some attachments were not processed: "empty.csv" (empty)', reply_state: 'SENT' }]);
      const replies = repliesAbout('Lieferungen KW 3');
      expect(replies).toHaveLength(1);
      expect(replies[0]!.to).toEqual(['orders@acme.test']);
      expect(replies[0]!.parsed.inReplyTo).toBe('<kw3@acme.test>');
      expect(replies[0]!.parsed.headers.get('auto-submitted')).toBe('auto-replied');
      expect(replies[0]!.parsed.text).toContain('not processed: "empty.csv" (empty)');
    } finally {
      await w.close();
      await box.drop();
    }
  });

  it('quarantines mail bombs (too large, thousands of parts, deep nesting, garbage) and keeps working', async () => {
    const box = await createTestInbox();
    const w = watcher(3, box.t.db, box.inbox, { maxMessageBytes: 256 * 1024, maxParts: 200, maxDepth: 8 });
    try {
      w.start();
      const huge = buildMessage({ from: 'orders@acme.test', subject: 'Huge', attachments: [{ filename: 'big.csv', content: Buffer.alloc(400 * 1024, 'a') }] });
      await appendMessages(dovecot, 3, [
        huge,
        // One sender each: a second refusal within the hour would not be answered (quarantineReplyIntervalMs).
        manyPartsMessage('many@acme-partner.test', 5000),
        deeplyNestedMessage('deep@acme-partner.test', 60),
        Buffer.concat([Buffer.from('From: <garbage@acme-partner.test>\r\nSubject: Garbage\r\nContent-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\nContent-Type: text/csv; name=\r\n\tContent-Transfer-Encoding: base64\r\n\r\n'), Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]), Buffer.from('\r\n--y--\r\n')]),
        buildMessage({ from: 'orders@acme.test', subject: 'After the bombs', attachments: [{ filename: 'after.csv', content: 'x,y\n' }] }),
      ]);
      await waitFor('the good message in Processed', async () => (await folderSubjects(dovecot, 3, 'Processed')).includes('After the bombs'));
      await waitFor('INBOX empty', async () => (await folderSubjects(dovecot, 3, 'INBOX')).length === 0);
      const quarantined = await folderSubjects(dovecot, 3, 'Quarantine');
      expect(quarantined.sort()).toEqual(['Garbage', 'Huge', 'deep', 'many parts']);
      const reasons = Object.fromEntries((await messageRecords(box.t.db)).map((r) => [r.subject, r.reason_code]));
      expect(reasons).toMatchObject({ Huge: 'MAILBOX_MESSAGE_TOO_LARGE', 'many parts': 'MAILBOX_TOO_MANY_PARTS', deep: 'MAILBOX_TOO_DEEP', 'After the bombs': null });
      expect(reasons['Garbage']).toMatch(/^MAILBOX_(BAD_MIME|NO_USABLE_ATTACHMENT)$/);
      expect((await emailFiles(box.t.db)).map((f) => f.original_name)).toEqual(['after.csv']);
      // A known sender is told about a refused bomb too (it may be a broken export, not an attack).
      expect(repliesAbout('Huge')).toHaveLength(1);
      expect(repliesAbout('many parts')).toHaveLength(1);
      expect(repliesAbout('deep')).toHaveLength(1);
      expect(repliesAbout('Garbage')).toHaveLength(1);
      expect(repliesAbout('many parts')[0]!.parsed.text).toContain('the message has more MIME parts than we accept');
    } finally {
      await w.close();
      await box.drop();
    }
  });

  it('takes a CSV attached as text/plain without an attachment disposition, and never answers bounces from a customer\u2019s domain', async () => {
    const box = await createTestInbox();
    const w = watcher(8, box.t.db, box.inbox, { maxMessageBytes: 256 * 1024 });
    try {
      w.start();
      await appendMessages(dovecot, 8, [
        // As ERP exports and some mail clients attach a text file: inline, named only in Content-Type.
        ['From: <orders@acme.test>', 'Subject: Export 7', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="e"', '', '--e', 'Content-Type: text/plain', '', 'Daily export', '--e', 'Content-Type: text/plain; name="export-7.csv"', 'Content-Disposition: inline', '', 'order,qty', 'E7,1', '--e--', ''].join('\r\n'),
        ['Return-Path: <>', 'From: Mail Delivery System <MAILER-DAEMON@acme-partner.test>', 'Subject: Undelivered Mail Returned to Sender', 'Content-Type: text/plain', '', 'This is the mail system at host mx.acme-partner.test.', ''].join('\r\n'),
        buildMessage({ from: 'ops@acme-partner.test', subject: 'Huge auto-reply', headers: { 'Auto-Submitted': 'auto-replied' }, attachments: [{ filename: 'big.csv', content: Buffer.alloc(400 * 1024, 'a') }] }),
      ]);
      await waitFor('all three handled', async () => (await folderSubjects(dovecot, 8, 'INBOX')).length === 0 && (await messageRecords(box.t.db)).length === 3);
      expect(await folderSubjects(dovecot, 8, 'Processed')).toEqual(['Export 7']);
      const [file] = await emailFiles(box.t.db);
      expect(file).toMatchObject({ original_name: 'export-7.csv', customer: 'acme' });
      expect(readFileSync(file!.spool_path, 'utf8')).toBe('order,qty\r\nE7,1');
      const records = Object.fromEntries((await messageRecords(box.t.db)).map((r) => [r.subject, [r.reason_code, r.reply_state]]));
      expect(records).toEqual({
        'Export 7': [null, 'NONE'],
        'Undelivered Mail Returned to Sender': ['MAILBOX_AUTOMATIC_MESSAGE', 'NONE'],
        'Huge auto-reply': ['MAILBOX_MESSAGE_TOO_LARGE', 'NONE'],
      });
      expect(sink.mails.flatMap((m) => m.to)).not.toContain('mailer-daemon@acme-partner.test');
      expect(repliesAbout('Huge auto-reply')).toEqual([]);
    } finally {
      await w.close();
      await box.drop();
    }
  });

  it('an automated export (Precedence: bulk) gets its results by mail, marked Auto-Submitted so it cannot loop, but is never told what was wrong', async () => {
    const box = await createTestInbox();
    const w = watcher(9, box.t.db, box.inbox);
    try {
      w.start();
      await appendMessages(dovecot, 9, [
        buildMessage({ from: 'erp@acme-partner.test', subject: 'ERP export 9', messageId: '<erp-9@acme-partner.test>', headers: { Precedence: 'bulk' }, attachments: [{ filename: 'erp-9.csv', content: 'order,qty\nE9,1\n' }] }),
        buildMessage({ from: 'erp@acme-partner.test', subject: 'ERP export 10', headers: { 'Auto-Submitted': 'auto-generated' }, attachments: [{ filename: 'erp-10.pdf', content: '%PDF', contentType: 'application/pdf' }] }),
      ]);
      await waitFor('both handled', async () => (await folderSubjects(dovecot, 9, 'INBOX')).length === 0 && (await messageRecords(box.t.db)).length === 2);
      expect(await folderSubjects(dovecot, 9, 'Processed')).toEqual(['ERP export 9']);
      expect(await folderSubjects(dovecot, 9, 'Quarantine')).toEqual(['ERP export 10']);
      expect(await messageRecords(box.t.db)).toMatchObject([
        { subject: 'ERP export 9', outcome: 'PROCESSED', reply_state: 'NONE' },
        { subject: 'ERP export 10', reason_code: 'MAILBOX_NO_USABLE_ATTACHMENT', reply_state: 'NONE' },
      ]);
      expect(repliesAbout('ERP export 10')).toEqual([]);

      const [file] = await emailFiles(box.t.db);
      await box.t.db.query(`UPDATE gateway.files SET state = 'COMPLETED', document_count = 1 WHERE id = $1`, [file!.id]);
      const deliverer = emailReplyDeliverer(mailer);
      await deliverer.deliver((await getFile(box.t.db, file!.id)) as FileRow, []);
      const [reply] = await waitFor('the result reply', async () => {
        const found = repliesAbout('ERP export 9');
        return found.length > 0 && found;
      });
      expect(reply!.to).toEqual(['erp@acme-partner.test']);
      expect(reply!.parsed.inReplyTo).toBe('<erp-9@acme-partner.test>');
      expect(reply!.parsed.text).toContain('"erp-9.csv" (1 document) was processed');
      // RFC 3834 §5: a compliant responder never answers auto-replied mail; Exchange honours the suppress header.
      expect(reply!.parsed.headers.get('auto-submitted')).toBe('auto-replied');
      expect(reply!.parsed.headers.get('x-auto-response-suppress')).toBe('All');
    } finally {
      await w.close();
      await box.drop();
    }
  });

  it('answers at most one refused message per sender within quarantineReplyIntervalMs, so a header-less out-of-office reply cannot loop', async () => {
    const box = await createTestInbox();
    const w = watcher(10, box.t.db, box.inbox);
    const outOfOffice = (n: number, from = 'orders@acme.test') => buildMessage({ from, subject: `Automatic reply: Re: Your order ${n}`, body: 'I am out of the office until Monday.' });
    const replyNotes = async () =>
      (await box.t.db.query<{ subject: string; reply_state: string; reply_error: string | null }>('SELECT subject, reply_state, reply_error FROM gateway.mailbox_messages ORDER BY uid')).rows;
    try {
      w.start();
      await appendMessages(dovecot, 10, [outOfOffice(1), outOfOffice(2), outOfOffice(3), outOfOffice(4, 'ops@acme-partner.test')]);
      await waitFor('all four in Quarantine', async () => (await folderSubjects(dovecot, 10, 'Quarantine')).length === 4);
      const notes = await replyNotes();
      expect(notes.map((n) => [n.subject, n.reply_state])).toEqual([
        ['Automatic reply: Re: Your order 1', 'SENT'],
        ['Automatic reply: Re: Your order 2', 'NONE'],
        ['Automatic reply: Re: Your order 3', 'NONE'],
        ['Automatic reply: Re: Your order 4', 'SENT'],
      ]);
      expect(notes[1]!.reply_error).toMatch(/^not sent: this sender was already told about "Automatic reply: Re: Your order 1" at .*; at most one reply per sender in 60 min/);
      expect(sink.mails.filter((m) => m.to.includes('orders@acme.test') && /Your order \d/.test(m.parsed.subject ?? '')).map((m) => m.parsed.subject)).toEqual(['Re: Automatic reply: Re: Your order 1']);
      expect(repliesAbout('Automatic reply: Re: Your order 4')).toHaveLength(1);

      // Once the last reply is older than the interval, the sender is told again.
      await box.t.db.query(`UPDATE gateway.mailbox_messages SET handled_at = handled_at - interval '61 minutes'`);
      await appendMessages(dovecot, 10, [outOfOffice(5)]);
      await waitFor('the fifth in Quarantine', async () => (await folderSubjects(dovecot, 10, 'Quarantine')).length === 5);
      expect((await replyNotes())[4]).toMatchObject({ reply_state: 'SENT' });
      expect(repliesAbout('Automatic reply: Re: Your order 5')).toHaveLength(1);
    } finally {
      await w.close();
      await box.drop();
    }
  });

  it('receives odd attachment names under safe base names', async () => {
    const box = await createTestInbox();
    const w = watcher(4, box.t.db, box.inbox);
    try {
      w.start();
      await appendMessages(dovecot, 4, [
        buildMessage({
          from: 'orders@acme.test',
          subject: 'Odd names',
          attachments: [
            { filename: '../../a.csv', content: 'one\n' },
            { filename: 'ev%00il.csv', encoded: true, content: 'two\n' },
            { filename: `${'x'.repeat(300)}.csv`, content: 'three\n' },
            { filename: '..\\..\\windows.csv', content: 'four\n' },
          ],
        }),
      ]);
      await waitFor('the message in Processed', async () => (await folderSubjects(dovecot, 4, 'Processed')).includes('Odd names'));
      const names = (await emailFiles(box.t.db)).map((f) => f.original_name);
      expect(names).toEqual(['a.csv', 'evil.csv', `${'x'.repeat(196)}.csv`, 'windows.csv']);
      expect(Buffer.byteLength(names[2]!)).toBe(200);
    } finally {
      await w.close();
      await box.drop();
    }
  });

  it('takes the body when the customer asks for it', async () => {
    const box = await createTestInbox();
    const w = watcher(5, box.t.db, box.inbox);
    try {
      w.start();
      await appendMessages(dovecot, 5, [buildMessage({ from: 'edi@globex.test', subject: 'Pasted', body: 'order,qty\nG1,2\n' })]);
      await waitFor('the message in Processed', async () => (await folderSubjects(dovecot, 5, 'Processed')).includes('Pasted'));
      const [file] = await emailFiles(box.t.db);
      expect(file).toMatchObject({ customer: 'globex', original_name: 'body.txt' });
      expect(readFileSync(file!.spool_path, 'utf8')).toContain('order,qty\nG1,2');
    } finally {
      await w.close();
      await box.drop();
    }
  });

  it('a watcher stopped mid-stream, right after the inbox took a file, and a new watcher over the same ledger process every message exactly once', async () => {
    const box = await createTestInbox();
    const subjects = Array.from({ length: 6 }, (_, i) => `Batch ${i + 1}`);
    let first: MailboxWatcher | undefined;
    let second: MailboxWatcher | undefined;
    try {
      let received = 0;
      let stopping: Promise<void> | undefined;
      // The first watcher "crashes" after the inbox durably took the third file and before the message is recorded or moved.
      const crashingInbox: Pick<Inbox, 'receive'> = {
        async receive(file) {
          const receipt = await box.inbox.receive(file);
          if (++received === 3) {
            stopping = first!.close();
            throw new Error('simulated crash after the inbox took the file');
          }
          return receipt;
        },
      };
      first = watcher(6, box.t.db, crashingInbox);
      await appendMessages(dovecot, 6, subjects.map((subject, i) => buildMessage({ from: 'orders@acme.test', subject, attachments: [{ filename: `batch-${i + 1}.csv`, content: `n\n${i + 1}\n` }] })));
      first.start();
      await waitFor('the first watcher to stop', async () => stopping !== undefined && (await stopping.then(() => true)));
      const processedByFirst = await folderSubjects(dovecot, 6, 'Processed');
      expect(processedByFirst).toEqual(['Batch 1', 'Batch 2']);
      expect((await readCursor(box.t.db, first.mailboxName))?.lastUid).toBe(2);

      second = watcher(6, box.t.db, box.inbox);
      second.start();
      await waitFor('all six in Processed', async () => (await folderSubjects(dovecot, 6, 'Processed')).length === 6);
      expect((await folderSubjects(dovecot, 6, 'Processed')).sort()).toEqual(subjects);
      const files = await emailFiles(box.t.db);
      expect(files.map((f) => f.original_name)).toEqual(subjects.map((_, i) => `batch-${i + 1}.csv`));
      expect(files.every((f) => f.state === 'QUEUED')).toBe(true);
      expect(await messageRecords(box.t.db)).toHaveLength(6);
      expect((await readCursor(box.t.db, second.mailboxName))?.lastUid).toBe(6);
    } finally {
      await first?.close();
      await second?.close();
      await box.drop();
    }
  });

  it('after a UIDVALIDITY change, a message it already handled is only moved again, not handed over twice', async () => {
    const box = await createTestInbox();
    const raw = buildMessage({ from: 'orders@acme.test', subject: 'Seen before', attachments: [{ filename: 'seen.csv', content: 'seen\n' }] });
    const first = watcher(7, box.t.db, box.inbox);
    try {
      first.start();
      await appendMessages(dovecot, 7, [raw]);
      await waitFor('the message in Processed', async () => (await folderSubjects(dovecot, 7, 'Processed')).length === 1);
      await first.close();
      // As if the server had renumbered the folder, and the same message (same bytes) is in INBOX again.
      await writeCursor(box.t.db, first.mailboxName, { uidValidity: 1n, lastUid: 99 }, { reset: true });
      await appendMessages(dovecot, 7, [raw]);
      const second = watcher(7, box.t.db, box.inbox);
      second.start();
      try {
        await waitFor('the copy in Processed', async () => (await folderSubjects(dovecot, 7, 'Processed')).length === 2);
      } finally {
        await second.close();
      }
      expect((await emailFiles(box.t.db)).map((f) => f.original_name)).toEqual(['seen.csv']);
      expect(await messageRecords(box.t.db)).toHaveLength(1);
    } finally {
      await first.close();
      await box.drop();
    }
  });
});

describe.skipIf(!DOVECOT_BINARY)('mailbox watcher when the IMAP connection drops', () => {
  it('builds a new client after Dovecot restarts and goes on with the next message', async () => {
    const [dovecot, box] = await Promise.all([startDovecot(), createTestInbox()]);
    const { user, password } = dovecot.users[0]!;
    const w = new MailboxWatcher({
      settings: { host: dovecot.host, port: dovecot.port, tls: 'none', user, password, pollIntervalMs: 60_000, reconnectDelayMs: 100, maxReconnectDelayMs: 500 },
      db: box.t.db,
      inbox: box.inbox,
      customers,
      logger: process.env.MAILBOX_TEST_LOG ? createLogger({ level: 'debug', destination: process.stderr }) : silentLogger,
    });
    try {
      w.start();
      await appendMessages(dovecot, 0, [buildMessage({ from: 'orders@acme.test', subject: 'Before', attachments: [{ filename: 'before.csv', content: 'b\n' }] })]);
      // pollIntervalMs is a minute: only IDLE can have noticed this message so quickly.
      await waitFor('the first message in Processed', async () => (await folderSubjects(dovecot, 0, 'Processed')).includes('Before'), 10_000);
      expect(w.connections).toBe(1);
      await dovecot.restart();
      await waitFor('a new client', async () => w.connections >= 2);
      await appendMessages(dovecot, 0, [buildMessage({ from: 'orders@acme.test', subject: 'After', attachments: [{ filename: 'after.csv', content: 'a\n' }] })]);
      await waitFor('the second message in Processed', async () => (await folderSubjects(dovecot, 0, 'Processed')).includes('After'), 15_000);
      expect((await emailFiles(box.t.db)).map((f) => f.original_name)).toEqual(['before.csv', 'after.csv']);
    } finally {
      await w.close();
      await Promise.all([dovecot.destroy(), box.drop()]);
    }
    // Dovecot lets a session outlive its master for about ten seconds before the connection drops.
  }, 60_000);
});
