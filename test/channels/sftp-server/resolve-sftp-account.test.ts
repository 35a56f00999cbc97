import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { indexAccounts } from '../../../src/channels/sftp-server/check-credentials.ts';
import { resolveSftpAccount } from '../../../src/channels/sftp-server/resolve-sftp-account.ts';
import { generateSshKeyPair } from '../../../src/channels/sftp-server/generate-key-pair.ts';

const publicKey = generateSshKeyPair('ed25519').public;
const HASH = 'scrypt$16384$8$1$c2FsdA$aGFzaA';

describe('resolveSftpAccount', () => {
  it('reads password hashes from an environment variable and keys from an authorized_keys file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sftp-account-'));
    try {
      writeFileSync(join(dir, 'acme.keys'), `# acme's keys\n\n${publicKey}\n`);
      const account = resolveSftpAccount(
        'acme',
        { username: 'acme', passwordHashesFrom: { env: 'ACME_SFTP_HASHES' }, authorizedKeysFrom: { file: 'acme.keys' }, maxSessions: 2 },
        { env: { ACME_SFTP_HASHES: `${HASH}, ${HASH}` }, baseDir: dir },
      );
      expect(account).toEqual({ customer: 'acme', username: 'acme', passwordHashes: [HASH, HASH], authorizedKeys: [publicKey], maxSessions: 2 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [{ username: 'acme', passwordHashesFrom: { env: 'UNSET_VARIABLE_X' } }, 'SFTP_SECRET_MISSING'],
    [{ username: 'acme', authorizedKeysFrom: { file: '/nonexistent/keys' } }, 'SFTP_SECRET_MISSING'],
    [{ username: 'acme' }, 'SFTP_ACCOUNT_NO_CREDENTIALS'],
    [{ username: 'Acme!', authorizedKeys: [publicKey] }, 'SFTP_ACCOUNT_INVALID'],
    [{ username: 'acme', passwordHashes: ['plaintext-password'] }, 'SFTP_ACCOUNT_INVALID'],
    [{ username: 'acme', authorizedKeys: ['ssh-ed25519 not-base64'] }, 'SFTP_AUTHORIZED_KEY_INVALID'],
    [{ username: 'acme', password: 'secret' }, 'SFTP_ACCOUNT_INVALID'],
  ])('refuses %j with %s', (config, code) => {
    expect(() => resolveSftpAccount('acme', config, { env: {} })).toThrow(expect.objectContaining({ code }));
  });

  it('refuses two customers claiming one username', () => {
    const account = { username: 'shared', passwordHashes: [HASH], authorizedKeys: [] };
    expect(() => indexAccounts([{ customer: 'a', ...account }, { customer: 'b', ...account }])).toThrow(expect.objectContaining({ code: 'SFTP_ACCOUNT_DUPLICATE_USERNAME' }));
  });
});
