import { describe, expect, it } from 'vitest';
import { mailboxSettingsFromEnv } from '../../../src/channels/mailbox/mailbox-settings.ts';
import { readMessage } from '../../../src/channels/mailbox/read-message.ts';
import { authenticateSender, parseAuthenticationResults } from '../../../src/channels/mailbox/sender-authentication.ts';
import { createSenderDirectory } from '../../../src/channels/mailbox/sender-directory.ts';
import { buildMessage } from './support/mail-fixtures.ts';

const limits = { maxMessageBytes: 1024 * 1024, maxParts: 50, maxDepth: 5 };
const customers = createSenderDirectory({ acme: { allowedSenders: ['orders@acme.test'], attachments: ['*.csv'] } });
const TRUSTED = 'mx.intake.example';

/** A message from `from` with one CSV, the given Authentication-Results fields on top, as the receiving server adds them. */
function received(from: string, authenticationResults: string[]): Buffer {
  const message = buildMessage({ from, subject: 'orders', attachments: [{ filename: 'orders.csv', content: 'order,sku\nA-1,S1\n' }] });
  return Buffer.from(authenticationResults.map((value) => `Authentication-Results: ${value}\r\n`).join('') + message);
}

describe('Authentication-Results (RFC 8601)', () => {
  it('reads the authserv-id and each method with its properties, past comments, versions and quoted values', () => {
    expect(
      parseAuthenticationResults('mx.intake.example 1; (checked) dkim=pass (good signature) header.d=acme.test header.s="sel 1"; spf=fail smtp.mailfrom=x@evil.test; dmarc/1=pass header.from=acme.test'),
    ).toEqual({
      authservId: 'mx.intake.example',
      results: [
        { method: 'dkim', result: 'pass', properties: { 'header.d': 'acme.test', 'header.s': 'sel 1' } },
        { method: 'spf', result: 'fail', properties: { 'smtp.mailfrom': 'x@evil.test' } },
        { method: 'dmarc', result: 'pass', properties: { 'header.from': 'acme.test' } },
      ],
    });
    expect(parseAuthenticationResults('mx.intake.example; none')).toEqual({ authservId: 'mx.intake.example', results: [] });
  });

  it('authenticates a From by DMARC, or by a DKIM or SPF pass aligned with its domain (subdomains align)', () => {
    expect(authenticateSender([`${TRUSTED}; dmarc=pass header.from=acme.test`], TRUSTED, 'orders@acme.test')).toEqual({ authenticated: true, by: 'dmarc' });
    expect(authenticateSender([`${TRUSTED}; dkim=pass header.d=acme.test`], TRUSTED, 'orders@erp.acme.test')).toEqual({ authenticated: true, by: 'dkim' });
    expect(authenticateSender([`${TRUSTED}; spf=pass smtp.mailfrom=bounce@mail.acme.test`], TRUSTED, 'orders@acme.test')).toEqual({ authenticated: true, by: 'spf' });
  });

  it('refuses a pass for another domain, a pass for a whole top-level domain, and results that are not a pass', () => {
    expect(authenticateSender([`${TRUSTED}; dkim=pass header.d=evil.test; spf=pass smtp.mailfrom=evil.test`], TRUSTED, 'orders@acme.test')).toMatchObject({ authenticated: false });
    expect(authenticateSender([`${TRUSTED}; dkim=pass header.d=test`], TRUSTED, 'orders@acme.test')).toMatchObject({ authenticated: false });
    expect(authenticateSender([`${TRUSTED}; dkim=pass header.d=notacme.test`], TRUSTED, 'orders@acme.test')).toMatchObject({ authenticated: false });
    expect(authenticateSender([`${TRUSTED}; dmarc=fail header.from=acme.test; dkim=neutral header.d=acme.test`], TRUSTED, 'orders@acme.test')).toEqual({
      authenticated: false,
      why: `${TRUSTED} found no pass aligned with acme.test (dmarc=fail, dkim=neutral)`,
    });
  });

  it('believes only the trusted server: results the sender wrote under another name, or none at all, authenticate nothing', () => {
    expect(authenticateSender(['mx.evil.test; dmarc=pass header.from=acme.test'], TRUSTED, 'orders@acme.test')).toEqual({
      authenticated: false,
      why: `no Authentication-Results from ${TRUSTED}`,
    });
    expect(authenticateSender([], TRUSTED, 'orders@acme.test')).toMatchObject({ authenticated: false });
  });
});

describe('a mailbox with MAILBOX_AUTHSERV_ID', () => {
  const trust = { authservId: TRUSTED };

  it('takes the files of an allowed sender its mail server authenticated', async () => {
    const decision = await readMessage(received('orders@acme.test', [`${TRUSTED}; dkim=pass header.d=acme.test; dmarc=pass header.from=acme.test`]), limits, customers, trust);
    expect(decision).toMatchObject({ kind: 'take', customer: 'acme' });
  });

  it('quarantines a forged allowed sender (MAILBOX_SENDER_NOT_AUTHENTICATED), says why in the ledger, and answers nobody', async () => {
    const decision = await readMessage(received('orders@acme.test', [`${TRUSTED}; spf=fail smtp.mailfrom=evil.test; dmarc=fail header.from=acme.test`]), limits, customers, trust);
    expect(decision).toMatchObject({ kind: 'quarantine', customer: 'acme', reason: { code: 'MAILBOX_SENDER_NOT_AUTHENTICATED' } });
    expect(decision.kind === 'quarantine' && decision.reason.message).toMatch(/orders@acme\.test: mx\.intake\.example found no pass aligned with acme\.test \(spf=fail, dmarc=fail\)/);
  });

  it('quarantines a message whose only pass was written by the sender under another server name', async () => {
    const decision = await readMessage(received('orders@acme.test', ['mx.intake.example.evil.test; dmarc=pass header.from=acme.test']), limits, customers, trust);
    expect(decision).toMatchObject({ kind: 'quarantine', reason: { code: 'MAILBOX_SENDER_NOT_AUTHENTICATED' } });
  });

  it('quarantines a From with a second address beside the authenticated one', async () => {
    // buildMessage writes `From: Customer <…>`: this makes it `Customer <orders@acme.test>, <boss@evil.test>`.
    const decision = await readMessage(received('orders@acme.test>, <boss@evil.test', [`${TRUSTED}; dmarc=pass header.from=acme.test`]), limits, customers, trust);
    expect(decision).toMatchObject({ kind: 'quarantine', reason: { code: 'MAILBOX_SENDER_NOT_AUTHENTICATED', message: expect.stringContaining('From holds 2 addresses') } });
  });

  it('without the setting, the From address is believed as written (the README says so)', async () => {
    expect(await readMessage(received('orders@acme.test', []), limits, customers)).toMatchObject({ kind: 'take', customer: 'acme' });
  });

  it('is read from MAILBOX_AUTHSERV_ID', () => {
    const env = { MAILBOX_HOST: 'imap.test', MAILBOX_USER: 'u', MAILBOX_PASSWORD: 'p', MAILBOX_AUTHSERV_ID: TRUSTED };
    expect(mailboxSettingsFromEnv(env)?.mailbox.authservId).toBe(TRUSTED);
  });
});
