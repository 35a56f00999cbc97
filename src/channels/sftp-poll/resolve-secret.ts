import { readFileSync } from 'node:fs';
import { SftpPollError } from './sftp-poll-errors.ts';
import type { SecretRef } from './sftp-poll-schema.ts';

/**
 * The secret a reference points at. Errors name the reference (variable or file), never a value, so they are
 * safe to log.
 */
export function resolveSecret(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): string {
  if ('env' in ref) {
    const value = env[ref.env];
    if (value === undefined || value === '') throw new SftpPollError('SFTP_POLL_SECRET_MISSING', `environment variable ${ref.env} is not set`);
    return value;
  }
  let text: string;
  try {
    text = readFileSync(ref.file, 'utf8');
  } catch (error) {
    throw new SftpPollError('SFTP_POLL_SECRET_MISSING', `secrets file ${ref.file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  // Secret files are usually written by `echo` or an editor: a trailing newline is not part of a password.
  const value = text.replace(/\r?\n$/, '');
  if (value === '') throw new SftpPollError('SFTP_POLL_SECRET_MISSING', `secrets file ${ref.file} is empty`);
  return value;
}
