import { timingSafeEqual } from 'node:crypto';
import ssh2 from 'ssh2';
import type { ParsedKey, PublicKey } from 'ssh2';
import { dummySecretHash, hashClientSecret, verifyClientSecret } from '../../engine/auth/client-secret.ts';
import { checkAuthorizedKey } from './resolve-sftp-account.ts';
import { SftpServerError } from './sftp-server-errors.ts';
import type { SftpServerAccount } from './sftp-server-options.ts';

/** Same scrypt format and parameters as API client secrets: one verifier, one set of tests. */
export const hashSftpPassword = hashClientSecret;

/** An account ready for logins: its public keys parsed once. */
export interface LoginAccount {
  account: SftpServerAccount;
  keys: { parsed: ParsedKey; blob: Buffer }[];
}

/** Accounts by username, validated together (a username belongs to one customer). */
export function indexAccounts(accounts: SftpServerAccount[]): Map<string, LoginAccount> {
  const byUsername = new Map<string, LoginAccount>();
  for (const account of accounts) {
    const existing = byUsername.get(account.username);
    if (existing) {
      throw new SftpServerError('SFTP_ACCOUNT_DUPLICATE_USERNAME', `username "${account.username}" is claimed by customers "${existing.account.customer}" and "${account.customer}"`);
    }
    const keys = account.authorizedKeys.map((line) => {
      checkAuthorizedKey(account.customer, line);
      const parsed = ssh2.utils.parseKey(line) as ParsedKey;
      return { parsed, blob: parsed.getPublicSSH() };
    });
    byUsername.set(account.username, { account, keys });
  }
  return byUsername;
}

/**
 * True when the password matches one of the account's hashes. An unknown user, or an account without
 * passwords, is checked against a dummy hash: the same scrypt work, so timing does not tell which usernames
 * exist. The comparison inside is constant-time (timingSafeEqual).
 */
export async function verifyAccountPassword(login: LoginAccount | undefined, password: string): Promise<boolean> {
  const hashes = login?.account.passwordHashes ?? [];
  if (hashes.length === 0) {
    await verifyClientSecret(password, await dummySecretHash());
    return false;
  }
  let matched = false;
  // Every hash is checked, not just until the first match: the work does not depend on which one matches.
  for (const hash of hashes) if (await verifyClientSecret(password, hash)) matched = true;
  return matched;
}

/** The account's authorized key equal to the offered one, compared in constant time; undefined if none. */
export function findAuthorizedKey(login: LoginAccount | undefined, offered: PublicKey): ParsedKey | undefined {
  let found: ParsedKey | undefined;
  for (const key of login?.keys ?? []) {
    if (key.blob.length === offered.data.length && timingSafeEqual(key.blob, offered.data)) found = key.parsed;
  }
  return found;
}

/**
 * Whether a public-key login signs with SHA-1: `ssh-rsa` (ssh2 reports rsa-sha2-256/512 as key type `ssh-rsa` with
 * their hash, and plain `ssh-rsa` without one) and DSA (`ssh-dss`, SHA-1 only). Refused like the SHA-1 MACs and key
 * exchanges: SHA-1 signatures can be forged by chosen-prefix collisions; OpenSSH refuses them by default since 8.8.
 */
export function signsWithSha1(keyAlgorithm: string, hashAlgorithm: string | undefined): boolean {
  return keyAlgorithm === 'ssh-dss' || (keyAlgorithm === 'ssh-rsa' && hashAlgorithm === undefined);
}
