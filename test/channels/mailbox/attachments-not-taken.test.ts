import { describe, expect, it } from 'vitest';
import { recentProblemReply, recordMessage, setReplyState } from '../../../src/channels/mailbox/mailbox-ledger.ts';
import { messageOutcome, replyText } from '../../../src/channels/mailbox/mailbox-watcher.ts';
import { readMessage } from '../../../src/channels/mailbox/read-message.ts';
import { createSenderDirectory } from '../../../src/channels/mailbox/sender-directory.ts';
import { migrateLedger } from '../../../src/ledger/migrations.ts';
import { createTestDb } from '../../support/stores.ts';
import { buildMessage } from './support/mail-fixtures.ts';

const limits = { maxMessageBytes: 1024 * 1024, maxParts: 50, maxDepth: 5 };
const customers = createSenderDirectory({ acme: { allowedSenders: ['@acme.test'], attachments: ['*.csv'] } });

/** The outside probe's message: two files with content and an empty third one. */
const probeMessage = (headers: Record<string, string> = {}) =>
  Buffer.from(
    buildMessage({
      from: 'clerk@acme.test',
      subject: 'Lieferungen KW 3',
      headers,
      attachments: [
        { filename: 'Lieferungen_%C3%BC%201.csv', encoded: true, content: 'id,qty\nL1,3\n' },
        { filename: 'Lieferungen_2.csv', content: 'id,qty\nL2,4\n' },
        { filename: 'empty.csv', content: '' },
      ],
    }),
  );

const multipart = (type: string, parts: string[][]) =>
  Buffer.from(['From: <clerk@acme.test>', 'Subject: s', 'MIME-Version: 1.0', `Content-Type: ${type}; boundary="b"`, '', ...parts.flatMap((part) => ['--b', ...part]), '--b--', ''].join('\r\n'));
const csv = ['Content-Type: text/csv', 'Content-Disposition: attachment; filename="orders.csv"', '', 'A1,3'];

describe('attachments of a processed message that were not taken', () => {
  it('a message with two taken files and an empty one is recorded PROCESSED with the empty file and its reason, and its sender is owed a reply', async () => {
    const decision = await readMessage(probeMessage(), limits, customers);
    expect(decision.kind === 'take' && decision.files.map((f) => f.name)).toEqual(['Lieferungen_ü 1.csv', 'Lieferungen_2.csv']);
    expect(decision.ignored).toEqual([{ name: 'empty.csv', why: 'empty' }]);
    const outcome = messageOutcome(decision);
    expect(outcome).toEqual({ outcome: 'PROCESSED', reasonCode: 'MAILBOX_ATTACHMENTS_NOT_TAKEN', reason: 'some attachments were not processed: "empty.csv" (empty)', replyState: 'PENDING' });
    const text = replyText({ subject: 'Lieferungen KW 3', ...outcome });
    expect(text).toContain('"Lieferungen KW 3"');
    expect(text).toContain('not processed: "empty.csv" (empty)');
    expect(text).toContain('The other files of this message were taken');
    expect(text).not.toContain('Nothing from this message was taken');
  });

  it('names every file left out with its own reason: empty, or not a type the customer sends us', async () => {
    const raw = Buffer.from(buildMessage({ from: 'clerk@acme.test', subject: 's', attachments: [{ filename: 'a.csv', content: 'a' }, { filename: 'orders.pdf', content: '%PDF', contentType: 'application/pdf' }, { filename: 'empty.csv', content: '' }] }));
    const decision = await readMessage(raw, limits, customers);
    expect(decision.ignored).toEqual([
      { name: 'orders.pdf', why: 'not a file type we take' },
      { name: 'empty.csv', why: 'empty' },
    ]);
    expect(messageOutcome(decision).reason).toBe('some attachments were not processed: "orders.pdf" (not a file type we take), "empty.csv" (empty)');
  });

  it('never mentions what a mail client adds by itself: a signature image, a cid image, an S/MIME or PGP signature, a calendar part, the body', async () => {
    const raw = multipart('multipart/mixed', [
      ['Content-Type: text/plain', '', 'Please find the file attached.'],
      csv,
      ['Content-Type: image/png; name="image001.png"', 'Content-ID: <image001@x>', 'Content-Disposition: inline; filename="image001.png"', '', 'png'],
      ['Content-Type: text/calendar; method=REQUEST; charset=utf-8', '', 'BEGIN:VCALENDAR', 'END:VCALENDAR'],
      ['Content-Type: application/ics; name="invite.ics"', 'Content-Disposition: attachment; filename="invite.ics"', '', 'BEGIN:VCALENDAR'],
      ['Content-Type: application/pkcs7-signature; name="smime.p7s"', 'Content-Disposition: attachment; filename="smime.p7s"', 'Content-Transfer-Encoding: base64', '', 'MIAGCSqGSIb3DQEHAqCAMIACAQE='],
      ['Content-Type: application/pgp-signature; name="signature.asc"', 'Content-Disposition: attachment; filename="signature.asc"', '', '-----BEGIN PGP SIGNATURE-----'],
    ]);
    const decision = await readMessage(raw, limits, customers);
    expect(decision.kind === 'take' && decision.files.map((f) => f.name)).toEqual(['orders.csv']);
    expect(decision.ignored).toEqual([]);
    expect(messageOutcome(decision)).toEqual({ outcome: 'PROCESSED', reasonCode: undefined, reason: undefined, replyState: 'NONE' });
  });

  it('a signed message without a file says it has no attachments, not that it ignored smime.p7s', async () => {
    const raw = multipart('multipart/signed; protocol="application/pkcs7-signature"', [
      ['Content-Type: text/plain', '', 'Forgot the file'],
      ['Content-Type: application/pkcs7-signature; name="smime.p7s"', 'Content-Disposition: attachment; filename="smime.p7s"', 'Content-Transfer-Encoding: base64', '', 'MIAGCSqGSIb3DQEHAqCAMIACAQE='],
    ]);
    const decision = await readMessage(raw, limits, customers);
    expect(decision).toMatchObject({ kind: 'quarantine', reason: { code: 'MAILBOX_NO_USABLE_ATTACHMENT', message: 'the message has no attachment we take: the message has no attachments' } });
  });

  it('records the empty file of an automatic sender (an ERP export) but never answers it', async () => {
    const decision = await readMessage(probeMessage({ Precedence: 'bulk' }), limits, customers);
    expect(messageOutcome(decision)).toMatchObject({ outcome: 'PROCESSED', reasonCode: 'MAILBOX_ATTACHMENTS_NOT_TAKEN', replyState: 'NONE' });
  });

  it('a "some attachments were not processed" reply counts toward the one reply per sender per interval, like a quarantine reply', async () => {
    const t = await createTestDb('pglite');
    try {
      await migrateLedger(t.db);
      const record = {
        mailbox: 'm',
        messageKey: 'sha256:1',
        uidValidity: 1n,
        uid: 1,
        messageId: undefined,
        sender: 'clerk@acme.test',
        subject: 'Lieferungen KW 3',
        sizeBytes: 10,
        customer: 'acme',
        fileIds: ['f1', 'f2'],
        outcome: 'PROCESSED' as const,
        reasonCode: 'MAILBOX_ATTACHMENTS_NOT_TAKEN' as const,
        reason: 'some attachments were not processed: "empty.csv" (empty)',
        replyState: 'PENDING' as const,
      };
      await recordMessage(t.db, record);
      expect(await recentProblemReply(t.db, 'clerk@acme.test', 60_000)).toBeUndefined();
      await setReplyState(t.db, 'm', 'sha256:1', 'SENT');
      expect(await recentProblemReply(t.db, 'clerk@acme.test', 60_000)).toMatchObject({ subject: 'Lieferungen KW 3' });
    } finally {
      await t.drop();
    }
  });
});
