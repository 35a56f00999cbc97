import { readSecretRef } from '../../config/secret-ref.ts';
import { SftpPollError } from './sftp-poll-errors.ts';
import type { SecretRef } from './sftp-poll-schema.ts';

/**
 * The secret a reference points at. Errors name the reference (variable or file), never a value, so they are
 * safe to log.
 */
export function resolveSecret(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): string {
  const secret = readSecretRef(ref, { env });
  if (!secret.ok) throw new SftpPollError('SFTP_POLL_SECRET_MISSING', secret.reason);
  return secret.value;
}
