import { describe, expect, it } from 'vitest';
import { mailboxSettingsFromEnv } from '../../../src/channels/mailbox/mailbox-settings.ts';

const SMTP = { SMTP_HOST: '127.0.0.1', SMTP_FROM: 'intake@example.com' };

describe('SMTP settings from the environment', () => {
  it('a bad SMTP_TLS or SMTP_PORT stops the start naming the variable, even with no mailbox configured', () => {
    expect(() => mailboxSettingsFromEnv({ ...SMTP, SMTP_TLS: 'bogus' })).toThrow(/SMTP_TLS="bogus"/);
    expect(() => mailboxSettingsFromEnv({ ...SMTP, SMTP_PORT: 'x' })).toThrow(/SMTP_PORT="x"/);
    expect(() => mailboxSettingsFromEnv({ SMTP_HOST: '127.0.0.1' })).toThrow(/SMTP_FROM/);
  });

  it('an SMTP_FROM that is no address stops the start naming it; an address, with or without a name, is taken', () => {
    for (const bad of ['notanaddress', 'Acme intake', 'intake@', '<intake@example.com']) {
      expect(() => mailboxSettingsFromEnv({ ...SMTP, SMTP_FROM: bad })).toThrow(/SMTP_FROM=.*expected an address/);
    }
    for (const good of ['intake@example.com', '"Acme intake" <intake@example.com>', 'Intake <intake@gateway.test>']) {
      expect(mailboxSettingsFromEnv({ ...SMTP, SMTP_FROM: good })).toBeUndefined();
    }
  });

  it('good SMTP settings without a mailbox still mean no mailbox', () => {
    expect(mailboxSettingsFromEnv({ ...SMTP, SMTP_TLS: 'none', SMTP_PORT: '2525' })).toBeUndefined();
  });

  it('with a mailbox, the SMTP settings come with it', () => {
    const settings = mailboxSettingsFromEnv({ MAILBOX_HOST: 'imap.example.com', MAILBOX_USER: 'u', MAILBOX_PASSWORD: 'p', ...SMTP, SMTP_PORT: '2525' });
    expect(settings?.smtp).toMatchObject({ host: '127.0.0.1', port: 2525, tls: 'starttls' });
  });
});
