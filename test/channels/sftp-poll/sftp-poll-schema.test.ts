import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileNameGlob } from '../../../src/channels/sftp-poll/file-name-glob.ts';
import { resolveSecret } from '../../../src/channels/sftp-poll/resolve-secret.ts';
import { SftpPollSchema } from '../../../src/channels/sftp-poll/sftp-poll-schema.ts';

const minimal = {
  host: 'sftp.acme.example',
  username: 'intake',
  auth: { method: 'key', privateKey: { env: 'ACME_SFTP_KEY' } },
  hostKeySha256: 'SHA256:' + 'a'.repeat(43),
  inboundDir: '/outgoing',
  outboundDir: '/incoming',
};

describe('channels.sftpPoll schema', () => {
  it('fills the defaults of a minimal config', () => {
    expect(SftpPollSchema.parse(minimal)).toMatchObject({ port: 22, pattern: '*', intervalSeconds: 60, minAgeSeconds: 30, afterDownload: 'move', processedDir: 'processed' });
  });

  it.each([
    ['a secret written into the config', { auth: { method: 'password', password: 'hunter2' } }],
    ['a fingerprint that is not SHA256', { hostKeySha256: 'MD5:aa:bb' }],
    ['a directory walking up with ..', { inboundDir: '/outgoing/../etc' }],
    ['an unknown key', { hostKey: 'x' }],
    ['an unknown afterDownload', { afterDownload: 'keep' }],
    ['a processedDir that is inboundDir itself (taken files would be taken again)', { processedDir: '.' }],
    ['an absolute processedDir that is inboundDir itself', { processedDir: '/outgoing/' }],
  ])('refuses %s', (_, change) => {
    expect(SftpPollSchema.safeParse({ ...minimal, ...change }).success).toBe(false);
  });

  it.each(['/outgoing', '/outgoing/', '/outgoing/./'])('refuses outboundDir %s, the inboundDir itself (results would be taken as new files, without end)', (outboundDir) => {
    const parsed = SftpPollSchema.safeParse({ ...minimal, outboundDir });
    expect(parsed.error?.issues).toEqual([expect.objectContaining({ path: ['outboundDir'], message: expect.stringContaining('must not be inboundDir itself') })]);
  });

  it('accepts an outboundDir inside inboundDir: the poll does not descend into folders', () => {
    expect(SftpPollSchema.safeParse({ ...minimal, outboundDir: '/outgoing/results' }).success).toBe(true);
  });

  it('accepts processedDir equal to inboundDir when taken files are deleted, not moved', () => {
    expect(SftpPollSchema.safeParse({ ...minimal, afterDownload: 'delete', processedDir: '.' }).success).toBe(true);
  });

  it('accepts a password by reference to a secrets file', () => {
    expect(SftpPollSchema.safeParse({ ...minimal, auth: { method: 'password', password: { file: '/run/secrets/acme' } } }).success).toBe(true);
  });
});

describe('file name glob', () => {
  it.each([
    ['*.csv', 'orders.csv', true],
    ['*.csv', 'orders.CSV', false],
    ['*.{csv,txt}', 'a.txt', true],
    ['ORD_??.edi', 'ORD_12.edi', true],
    ['ORD_??.edi', 'ORD_123.edi', false],
    ['[0-9]*.x12', '7asn.x12', true],
    ['[!0-9]*.x12', '7asn.x12', false],
    ['a+b (1).csv', 'a+b (1).csv', true],
    ['*', 'commande été.csv', true],
  ])('%s on %s is %s', (pattern, name, expected) => {
    expect(fileNameGlob(pattern).test(name)).toBe(expected);
  });
});

describe('secret references', () => {
  it('reads an environment variable, and names (never shows) a missing one', () => {
    expect(resolveSecret({ env: 'K' }, { K: 's3cret' })).toBe('s3cret');
    expect(() => resolveSecret({ env: 'K' }, {})).toThrow(/environment variable K is unset or empty/);
  });

  it('reads a secrets file without its trailing newline', () => {
    const dir = mkdtempSync(join(tmpdir(), 'intake-secret-'));
    try {
      writeFileSync(join(dir, 'pw'), 'pa ss\n');
      expect(resolveSecret({ file: join(dir, 'pw') })).toBe('pa ss');
      expect(() => resolveSecret({ file: join(dir, 'missing') })).toThrow(/cannot be read \(ENOENT\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('createSftpPollers', () => {
  it('makes one poller per customer with channels.sftpPoll, and names the customer of a bad config', async () => {
    const { createSftpPollers } = await import('../../../src/channels/sftp-poll/sftp-poller.ts');
    const { silentLogger } = await import('../../../src/log/logger.ts');
    const deps = { inbox: { receive: async () => ({ fileId: '', state: 'QUEUED' as const, sha256: '', sizeBytes: 0 }) }, db: { query: async () => ({ rows: [] }) }, logger: silentLogger };
    const pollers = createSftpPollers([{ id: 'acme', channels: { sftpPoll: minimal } }, { id: 'globex', channels: { sftp: { user: 'g' } } }, { id: 'initech' }], deps);
    expect(pollers.map((p) => p.config.host)).toEqual(['sftp.acme.example']);
    expect(() => createSftpPollers([{ id: 'bad', channels: { sftpPoll: { ...minimal, port: 'x' } } }], deps)).toThrow(/customer bad: channels.sftpPoll is invalid: port/);
  });
});
