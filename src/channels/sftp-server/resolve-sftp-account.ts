import ssh2 from 'ssh2';
import { readSecretRef } from '../../config/secret-ref.ts';
import { SftpServerError } from './sftp-server-errors.ts';
import { SftpAccountSchema, type SftpSecretSource, type SftpServerAccount } from './sftp-server-options.ts';

export interface ResolveSftpAccountContext {
  /** Environment variables (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Relative `file` sources are resolved against this directory (the customer's mapping folder). */
  baseDir?: string;
}

function readSource(customer: string, what: string, source: SftpSecretSource, context: ResolveSftpAccountContext): string {
  const secret = readSecretRef(source, context);
  if (!secret.ok) throw new SftpServerError('SFTP_SECRET_MISSING', `customer "${customer}": ${what}: ${secret.reason}`);
  return secret.value;
}

/** `authorized_keys` text: one key a line, `#` comments and blank lines skipped. */
export function parseAuthorizedKeyLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** Throws SFTP_AUTHORIZED_KEY_INVALID unless `line` is a public key ssh2 can verify signatures with. */
export function checkAuthorizedKey(customer: string, line: string): void {
  const parsed = ssh2.utils.parseKey(line);
  if (parsed instanceof Error || parsed.isPrivateKey()) {
    throw new SftpServerError('SFTP_AUTHORIZED_KEY_INVALID', `customer "${customer}": "${line.slice(0, 40)}..." is not an OpenSSH public key line`);
  }
}

/**
 * Turns `channels.sftp` of a customer.yaml into the account the server uses: validates it, reads hashes and keys
 * from their environment variables or files, and checks that someone can log in at all.
 */
export function resolveSftpAccount(customer: string, config: unknown, context: ResolveSftpAccountContext = {}): SftpServerAccount {
  const parsed = SftpAccountSchema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SftpServerError('SFTP_ACCOUNT_INVALID', `customer "${customer}": channels.sftp.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  const account = parsed.data;
  const passwordHashes = [...(account.passwordHashes ?? [])];
  if (account.passwordHashesFrom) {
    passwordHashes.push(...readSource(customer, 'passwordHashesFrom', account.passwordHashesFrom, context).split(/[\s,]+/).filter((h) => h !== ''));
  }
  const authorizedKeys = [...(account.authorizedKeys ?? [])];
  if (account.authorizedKeysFrom) authorizedKeys.push(...parseAuthorizedKeyLines(readSource(customer, 'authorizedKeysFrom', account.authorizedKeysFrom, context)));
  for (const key of authorizedKeys) checkAuthorizedKey(customer, key);
  if (passwordHashes.some((h) => !h.startsWith('scrypt$'))) {
    throw new SftpServerError('SFTP_ACCOUNT_INVALID', `customer "${customer}": a password hash is not an scrypt hash (make one with hash-password.ts)`);
  }
  if (passwordHashes.length === 0 && authorizedKeys.length === 0) {
    throw new SftpServerError('SFTP_ACCOUNT_NO_CREDENTIALS', `customer "${customer}": channels.sftp has no password hash and no authorized key`);
  }
  return {
    customer,
    username: account.username,
    passwordHashes,
    authorizedKeys,
    ...(account.maxFileBytes === undefined ? {} : { maxFileBytes: account.maxFileBytes }),
    ...(account.maxSessions === undefined ? {} : { maxSessions: account.maxSessions }),
  };
}
