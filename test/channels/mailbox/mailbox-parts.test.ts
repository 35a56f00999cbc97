import { describe, expect, it } from 'vitest';
import { attachmentFileName } from '../../../src/channels/mailbox/attachment-file-name.ts';
import { resultText } from '../../../src/channels/mailbox/email-reply-deliverer.ts';
import { EmailChannelSchema, MailboxSettingsSchema, mailboxSettingsFromEnv } from '../../../src/channels/mailbox/mailbox-settings.ts';
import { ConfigError } from '../../../src/config/env.ts';
import { readMessage } from '../../../src/channels/mailbox/read-message.ts';
import { replySubject, threadReferences } from '../../../src/channels/mailbox/reply-mailer.ts';
import { scanMimeStructure } from '../../../src/channels/mailbox/scan-mime-structure.ts';
import { createSenderDirectory, SenderDirectoryError } from '../../../src/channels/mailbox/sender-directory.ts';
import { buildMessage, deeplyNestedMessage, manyPartsMessage } from './support/mail-fixtures.ts';

const limits = { maxMessageBytes: 1024 * 1024, maxParts: 50, maxDepth: 5 };

describe('attachmentFileName', () => {
  it.each([
    ['../../a.csv', 'a.csv'],
    ['C:\\in\\orders.csv', 'orders.csv'],
    ['ev\u0000il.csv', 'evil.csv'],
    ['..', 'attachment'],
    [undefined, 'attachment'],
    ['  .hidden.csv', 'hidden.csv'],
  ])('%j is received as %j', (input, expected) => {
    expect(attachmentFileName(input)).toBe(expected);
  });

  it('cuts a 300-byte name to 200 bytes and keeps its extension', () => {
    const name = attachmentFileName(`${'x'.repeat(300)}.csv`);
    expect(name).toBe(`${'x'.repeat(196)}.csv`);
  });

  it('never cuts inside a multi-byte character', () => {
    const name = attachmentFileName(`${'é'.repeat(150)}.csv`);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(200);
    expect(name).toBe(`${'é'.repeat(98)}.csv`);
  });
});

describe('scanMimeStructure', () => {
  it('counts the parts and depth of an ordinary message', () => {
    const raw = Buffer.from(buildMessage({ from: 'a@b.test', subject: 's', attachments: [{ filename: 'a.csv', content: 'x' }] }));
    expect(scanMimeStructure(raw, limits)).toEqual({ ok: true, structure: { parts: 3, depth: 1 } });
  });

  it('refuses thousands of parts with MAILBOX_TOO_MANY_PARTS', () => {
    const result = scanMimeStructure(Buffer.from(manyPartsMessage('a@b.test', 5000)), limits);
    expect(result).toMatchObject({ ok: false, reason: { code: 'MAILBOX_TOO_MANY_PARTS' } });
  });

  it('refuses deep nesting with MAILBOX_TOO_DEEP', () => {
    expect(scanMimeStructure(Buffer.from(deeplyNestedMessage('a@b.test', 100)), limits)).toMatchObject({ ok: false, reason: { code: 'MAILBOX_TOO_DEEP' } });
    expect(scanMimeStructure(Buffer.from(deeplyNestedMessage('a@b.test', 4)), limits)).toMatchObject({ ok: true });
  });

  it('counts attached messages (message/rfc822) as a level of nesting', () => {
    let raw = 'From: <a@b.test>\r\nSubject: x\r\nContent-Type: text/plain\r\n\r\nleaf\r\n';
    for (let i = 0; i < 10; i++) raw = `From: <a@b.test>\r\nContent-Type: message/rfc822\r\n\r\n${raw}`;
    expect(scanMimeStructure(Buffer.from(raw), limits)).toMatchObject({ ok: false, reason: { code: 'MAILBOX_TOO_DEEP' } });
  });
});

describe('createSenderDirectory', () => {
  const directory = createSenderDirectory({
    acme: { allowedSenders: ['@acme.test'], attachments: ['*.csv', 'edi-??.x12'] },
    boss: { allowedSenders: ['Boss@Acme.test'] },
  });

  it('prefers an exact address over a domain, case-insensitively', () => {
    expect(directory.customerForSender('boss@acme.test')).toBe('boss');
    expect(directory.customerForSender('clerk@ACME.test')).toBe('acme');
    expect(directory.customerForSender('clerk@sub.acme.test')).toBeUndefined();
    expect(directory.customerForSender('nobody@else.test')).toBeUndefined();
  });

  it('takes attachments by glob, and every attachment when no glob is set', () => {
    expect(directory.acceptsAttachment('acme', 'Orders.CSV')).toBe(true);
    expect(directory.acceptsAttachment('acme', 'edi-01.x12')).toBe(true);
    expect(directory.acceptsAttachment('acme', 'edi-001.x12')).toBe(false);
    expect(directory.acceptsAttachment('acme', 'orders.csv.exe')).toBe(false);
    expect(directory.acceptsAttachment('boss', 'anything.bin')).toBe(true);
    expect(directory.acceptsAttachment('unknown', 'a.csv')).toBe(false);
  });

  it('refuses the same sender under two customers', () => {
    expect(() => createSenderDirectory({ a: { allowedSenders: ['@x.test'] }, b: { allowedSenders: ['@X.test'] } })).toThrow(SenderDirectoryError);
  });
});

describe('settings schemas', () => {
  it('EmailChannelSchema accepts addresses and domains and rejects anything else', () => {
    expect(EmailChannelSchema.parse({ allowedSenders: ['Orders@Acme.com', '@acme.com'] })).toEqual({ allowedSenders: ['orders@acme.com', '@acme.com'], takeBody: false, bodyFileName: 'body.txt' });
    expect(EmailChannelSchema.safeParse({ allowedSenders: ['acme.com'] }).success).toBe(false);
    expect(EmailChannelSchema.safeParse({ allowedSenders: [] }).success).toBe(false);
  });

  it('MailboxSettingsSchema fills in folders, limits and timings', () => {
    const settings = MailboxSettingsSchema.parse({ host: 'imap.example.com', user: 'intake', password: 'secret' });
    expect(settings).toMatchObject({ port: 993, tls: 'implicit', folders: { inbox: 'INBOX', processed: 'Processed', quarantine: 'Quarantine' }, limits: { maxParts: 200, maxDepth: 8 } });
  });

  it('reads the mailbox and SMTP settings from the environment', () => {
    expect(mailboxSettingsFromEnv({})).toBeUndefined();
    const fromEnv = mailboxSettingsFromEnv({ MAILBOX_HOST: 'imap.example.com', MAILBOX_USER: 'u', MAILBOX_PASSWORD: 'p', MAILBOX_PORT: '143', MAILBOX_TLS: 'starttls', SMTP_HOST: 'smtp.example.com', SMTP_FROM: 'intake@example.com' });
    expect(fromEnv?.mailbox).toMatchObject({ host: 'imap.example.com', port: 143, tls: 'starttls', password: 'p' });
    expect(fromEnv?.smtp).toMatchObject({ host: 'smtp.example.com', port: 587, from: 'intake@example.com' });
    expect(mailboxSettingsFromEnv({ MAILBOX_HOST: 'h', MAILBOX_USER: 'u', MAILBOX_PASSWORD: 'p', MAILBOX_FOLDER: 'Orders' })?.mailbox.folders).toMatchObject({
      inbox: 'Orders',
      processed: 'Processed',
    });
  });

  it('a bad mailbox or SMTP variable stops the start naming the variable, never a secret\'s value', () => {
    const bad = () => mailboxSettingsFromEnv({ MAILBOX_HOST: 'h', MAILBOX_USER: 'u', MAILBOX_PASSWORD: 'p', MAILBOX_PORT: 'abc', SMTP_HOST: 's', SMTP_FROM: 'x@y.z', SMTP_TLS: 'sometimes' });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/MAILBOX_PORT="abc"/);
    const smtp = () => mailboxSettingsFromEnv({ MAILBOX_HOST: 'h', MAILBOX_USER: 'u', MAILBOX_PASSWORD: 'p', SMTP_HOST: 's', SMTP_FROM: 'x@y.z', SMTP_TLS: 'sometimes' });
    expect(smtp).toThrow(/SMTP_TLS="sometimes"/);
    const secret = () => mailboxSettingsFromEnv({ MAILBOX_HOST: 'h', MAILBOX_USER: 'u', MAILBOX_PASSWORD: '' });
    expect(secret).toThrow(/MAILBOX_PASSWORD/);
  });
});

describe('readMessage', () => {
  const customers = createSenderDirectory({ acme: { allowedSenders: ['@acme.test'], attachments: ['*.csv'] } });

  it('never answers an auto-reply from a known domain', async () => {
    const raw = Buffer.from(buildMessage({ from: 'clerk@acme.test', subject: 'Out of office', headers: { 'Auto-Submitted': 'auto-replied' } }));
    expect(await readMessage(raw, limits, customers)).toMatchObject({ kind: 'quarantine', reason: { code: 'MAILBOX_AUTOMATIC_MESSAGE' }, facts: { automatic: true } });
  });

  it('ignores inline images and lists the attachments it did not take', async () => {
    const raw = Buffer.from(buildMessage({ from: 'clerk@acme.test', subject: 's', attachments: [{ filename: 'a.csv', content: 'a' }, { filename: 'b.txt', content: 'b' }, { filename: 'empty.csv', content: '' }] }));
    const decision = await readMessage(raw, limits, customers);
    expect(decision).toMatchObject({
      kind: 'take',
      customer: 'acme',
      ignored: [
        { name: 'b.txt', why: 'not a file type we take' },
        { name: 'empty.csv', why: 'empty' },
      ],
    });
    expect(decision.kind === 'take' && decision.files.map((f) => [f.part, f.name])).toEqual([[0, 'a.csv']]);
  });
});

describe('readMessage: what counts as a file', () => {
  const customers = createSenderDirectory({
    acme: { allowedSenders: ['@acme.test'], attachments: ['*.csv'] },
    pasted: { allowedSenders: ['@pasted.test'], takeBody: true },
  });
  const multipart = (from: string, type: string, parts: string[][]) =>
    Buffer.from([`From: <${from}>`, 'Subject: s', 'MIME-Version: 1.0', `Content-Type: ${type}; boundary="b"`, '', ...parts.flatMap((part) => ['--b', ...part]), '--b--', ''].join('\r\n'));
  const files = (decision: Awaited<ReturnType<typeof readMessage>>) => (decision.kind === 'take' ? decision.files.map((f) => [f.name, f.content.toString()]) : decision.reason.code);

  it('takes a text/plain part that names its file as that file, inline or without a disposition, never as body text', async () => {
    const body = ['Content-Type: text/plain; charset=utf-8', '', 'order,qty'];
    const noDisposition = ['Content-Type: text/plain; name="orders.csv"', '', 'A1,3'];
    const inline = ['Content-Type: text/plain', 'Content-Disposition: inline; filename="more.csv"', '', 'B2,4'];
    expect(files(await readMessage(multipart('clerk@acme.test', 'multipart/mixed', [body, noDisposition, inline]), limits, customers))).toEqual([
      ['orders.csv', 'A1,3'],
      ['more.csv', 'B2,4'],
    ]);
    // The pasted body stays the body: the attached file is not appended to it.
    expect(files(await readMessage(multipart('clerk@pasted.test', 'multipart/mixed', [body, noDisposition]), limits, customers))).toEqual([
      ['orders.csv', 'A1,3'],
      ['body.txt', 'order,qty'],
    ]);
    const alone = Buffer.from(['From: <clerk@acme.test>', 'Subject: s', 'Content-Type: text/plain; name="solo.csv"', '', 'C3,5', ''].join('\r\n'));
    expect(files(await readMessage(alone, limits, customers))).toEqual([['solo.csv', 'C3,5\r\n']]);
  });

  it('takes a part marked as an attachment even inside multipart/related, and still skips the inline images there', async () => {
    const raw = multipart('clerk@acme.test', 'multipart/related', [
      ['Content-Type: text/html', '', '<p>see attached</p><img src="cid:logo@x">'],
      ['Content-Type: image/png; name="logo.csv"', 'Content-ID: <logo@x>', 'Content-Disposition: inline; filename="logo.csv"', '', 'png'],
      ['Content-Type: text/csv; name="orders.csv"', 'Content-ID: <orders@x>', 'Content-Disposition: attachment; filename="orders.csv"', '', 'A1,3'],
    ]);
    const decision = await readMessage(raw, limits, customers);
    expect(files(decision)).toEqual([['orders.csv', 'A1,3']]);
    expect(decision.ignored).toEqual([]);
  });

  it.each([
    ['a null Return-Path', ['Return-Path: <>', 'From: Mail Delivery System <bounces@acme.test>']],
    ['MAILER-DAEMON', ['From: Mail Delivery System <MAILER-DAEMON@acme.test>']],
    ['postmaster', ['From: <postmaster@acme.test>']],
  ])('quarantines a plain-text bounce (%s) from a known domain as MAILBOX_AUTOMATIC_MESSAGE, never answered', async (_, headers) => {
    const raw = Buffer.from([...headers, 'Subject: Undelivered Mail Returned to Sender', 'Content-Type: text/plain', '', 'This is the mail system at host mx.acme.test.', ''].join('\r\n'));
    expect(await readMessage(raw, limits, customers)).toMatchObject({ kind: 'quarantine', customer: 'acme', reason: { code: 'MAILBOX_AUTOMATIC_MESSAGE' }, facts: { automatic: true } });
  });

  it('never answers a mailing-list message (Precedence: list)', async () => {
    const raw = Buffer.from(buildMessage({ from: 'list@acme.test', subject: 'Digest', headers: { Precedence: 'list' } }));
    expect(await readMessage(raw, limits, customers)).toMatchObject({ kind: 'quarantine', reason: { code: 'MAILBOX_NO_USABLE_ATTACHMENT' }, facts: { automatic: true } });
  });

  it.each([
    ['X-Autoreply: yes', { 'X-Autoreply': 'yes' }],
    ['X-Autorespond', { 'X-Autorespond': 'Out of Office' }],
    ['X-Autogenerated: Reply', { 'X-Autogenerated': 'Reply' }],
  ])('quarantines an auto-reply marked only by %s as MAILBOX_AUTOMATIC_MESSAGE, never answered', async (_, headers) => {
    const raw = Buffer.from(buildMessage({ from: 'clerk@acme.test', subject: 'Out of Office: Re: Orders', headers, attachments: [{ filename: 'orders.csv.result.csv', content: 'line,status\n' }] }));
    expect(await readMessage(raw, limits, customers)).toMatchObject({ kind: 'quarantine', reason: { code: 'MAILBOX_AUTOMATIC_MESSAGE' }, facts: { automatic: true } });
  });

  it.each([
    ['X-Auto-Response-Suppress: OOF (Microsoft)', { 'X-Auto-Response-Suppress': 'DR, OOF, AutoReply' }],
    ['X-MS-Exchange-Inbox-Rules-Loop (an Exchange rule made it)', { 'X-MS-Exchange-Inbox-Rules-Loop': 'clerk@acme.test' }],
    ['List-Id', { 'List-Id': '<orders.acme.test>' }],
  ])('takes the files of a message marked %s but never answers it', async (_, headers) => {
    const withFile = Buffer.from(buildMessage({ from: 'clerk@acme.test', subject: 'Export', headers, attachments: [{ filename: 'orders.csv', content: 'A1,3' }] }));
    expect(await readMessage(withFile, limits, customers)).toMatchObject({ kind: 'take', facts: { automatic: true } });
    const without = Buffer.from(buildMessage({ from: 'clerk@acme.test', subject: 'Automatic reply: Export', headers }));
    expect(await readMessage(without, limits, customers)).toMatchObject({ kind: 'quarantine', reason: { code: 'MAILBOX_NO_USABLE_ATTACHMENT' }, facts: { automatic: true } });
  });

  it('answers a message whose sender waives automatic-reply suppression (X-Auto-Response-Suppress: None)', async () => {
    const raw = Buffer.from(buildMessage({ from: 'clerk@acme.test', subject: 'Forgot', headers: { 'X-Auto-Response-Suppress': 'None' } }));
    expect(await readMessage(raw, limits, customers)).toMatchObject({ kind: 'quarantine', facts: { automatic: false } });
  });

  it('names the customer of a known sender whose message the scan or the parser refused, so the sender can be told', async () => {
    expect(await readMessage(Buffer.from(manyPartsMessage('clerk@acme.test', 500)), limits, customers)).toMatchObject({ kind: 'quarantine', customer: 'acme', reason: { code: 'MAILBOX_TOO_MANY_PARTS' }, facts: { sender: 'clerk@acme.test', automatic: false } });
    expect(await readMessage(Buffer.from(manyPartsMessage('someone@stranger.test', 500)), limits, customers)).toMatchObject({ kind: 'quarantine', customer: undefined });
    const bounceBomb = Buffer.from(manyPartsMessage('clerk@acme.test', 500).replace('Subject:', 'Auto-Submitted: auto-replied\r\nSubject:'));
    expect(await readMessage(bounceBomb, limits, customers)).toMatchObject({ customer: 'acme', facts: { automatic: true } });
  });
});

describe('readMessage: a mail forwarded as an attachment', () => {
  const customers = createSenderDirectory({ acme: { allowedSenders: ['@acme.test'], attachments: ['*.csv'] } });
  const inner = (attachment: string[]) =>
    ['From: Someone <someone@other.test>', 'Subject: inner', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="IN"', '', '--IN', 'Content-Type: text/plain', '', 'hi', '--IN', ...attachment, '--IN--', ''].join('\r\n');
  const forwarding = (parts: string[][]) =>
    Buffer.from(['From: <clerk@acme.test>', 'Subject: Fwd: inner', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="OUT"', '', '--OUT', 'Content-Type: text/plain', '', 'see forwarded', ...parts.flatMap((p) => ['--OUT', ...p]), '--OUT--', ''].join('\r\n'));
  const csv = ['Content-Type: text/csv', 'Content-Disposition: attachment; filename="orders_inner.csv"', '', 'A1,3'];

  it('takes the CSV inside a forwarded message (message/rfc822), not the wrapper inner.eml, under the outer sender', async () => {
    const decision = await readMessage(forwarding([['Content-Type: message/rfc822', 'Content-Disposition: attachment; filename="inner.eml"', '', inner(csv)], ['Content-Type: text/csv', 'Content-Disposition: attachment; filename="outer.csv"', '', 'B2,4']]), limits, customers);
    expect(decision).toMatchObject({ kind: 'take', customer: 'acme', facts: { sender: 'clerk@acme.test' }, ignored: [] });
    expect(decision.kind === 'take' && decision.files.map((f) => [f.part, f.name, f.content.toString()])).toEqual([
      [0, 'orders_inner.csv', 'A1,3'],
      [1, 'outer.csv', 'B2,4'],
    ]);
  });

  it('reads a forwarded message sent in base64, and refuses one whose own structure passes the limits, saying to attach the file itself', async () => {
    const encoded = (message: string) => ['Content-Type: message/rfc822', 'Content-Transfer-Encoding: base64', 'Content-Disposition: attachment; filename="inner.eml"', '', Buffer.from(message).toString('base64').replace(/.{76}/g, '$&\r\n')];
    const good = await readMessage(forwarding([encoded(inner(csv))]), limits, customers);
    expect(good.kind === 'take' && good.files.map((f) => f.name)).toEqual(['orders_inner.csv']);
    // The top-level scan cannot see inside base64: the forwarded bomb is scanned on its own before it is parsed.
    const bomb = await readMessage(forwarding([encoded(manyPartsMessage('someone@other.test', 500))]), limits, customers);
    expect(bomb).toMatchObject({ kind: 'quarantine', customer: 'acme', reason: { code: 'MAILBOX_NO_USABLE_ATTACHMENT' } });
    expect(bomb.ignored).toEqual([{ name: 'inner.eml', why: expect.stringMatching(/^a forwarded message we could not read: the message has more MIME parts than we accept.*; attach the file itself$/) }]);
  });
});

describe('reply texts', () => {
  it('threads: Re: once, References end with the answered Message-ID', () => {
    expect(replySubject('Manifest')).toBe('Re: Manifest');
    expect(replySubject('RE: Manifest')).toBe('RE: Manifest');
    expect(threadReferences(['<a@x>', '<b@x>'], '<c@x>')).toEqual(['<a@x>', '<b@x>', '<c@x>']);
    expect(threadReferences(Array.from({ length: 50 }, (_, i) => `<${i}@x>`), '<last@x>')).toHaveLength(20);
  });

  it.each([
    ['COMPLETED', 'was processed: every document was accepted'],
    ['PARTIAL', 'was partly processed'],
    ['REJECTED', 'was rejected: bad header'],
    ['FAILED', 'could not be processed completely'],
    ['DUPLICATE', 'was not processed again'],
  ] as const)('says in a sentence that the file is %s', (state, sentence) => {
    const text = resultText({ id: 'f1', original_name: 'orders.csv', state, error: state === 'REJECTED' ? { code: 'X', message: 'bad header', place: {} } : null, document_count: 2 });
    expect(text).toContain(sentence);
    expect(text).toContain('Reference: f1');
  });
});
