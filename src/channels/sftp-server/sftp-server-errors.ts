/**
 * Every error code the SFTP server raises, with what it means for an operator. Codes are stable: tests and log
 * searches rely on them; the README's table is this list.
 */
export const SFTP_SERVER_ERROR_CODES = {
  SFTP_ACCOUNT_INVALID: 'an account in the configuration does not validate (see the message for the field)',
  SFTP_ACCOUNT_DUPLICATE_USERNAME: 'two customers claim the same SFTP username',
  SFTP_ACCOUNT_NO_CREDENTIALS: 'an account has neither a password hash nor an authorized key: nobody could log in',
  SFTP_SECRET_MISSING: 'an account names an environment variable or file for its secrets that is unset or unreadable',
  SFTP_AUTHORIZED_KEY_INVALID: 'an authorized key line is not an OpenSSH public key',
  SFTP_HOST_KEY_INVALID: 'the host key file in the data directory exists but is not a private key',
  SFTP_DELIVERY_NO_REPLY_ADDRESS: 'a file to deliver has no SFTP reply address (it did not come through the SFTP server)',
} as const;

export type SftpServerErrorCode = keyof typeof SFTP_SERVER_ERROR_CODES;

/** An SFTP server error: a code from the registry above and a message naming what to change. */
export class SftpServerError extends Error {
  override readonly name = 'SftpServerError';
  constructor(
    readonly code: SftpServerErrorCode,
    message: string,
  ) {
    super(message);
  }
}
