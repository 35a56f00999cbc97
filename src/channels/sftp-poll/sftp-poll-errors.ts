/**
 * The error codes of the sftp-poll channel: every failure it logs or throws carries one, so an operator can grep
 * for it and the docs can list them.
 */
export const SFTP_POLL_ERRORS = {
  SFTP_POLL_HOST_KEY_MISMATCH: 'the server presented a host key other than the pinned one: connection refused',
  SFTP_POLL_CONNECT_FAILED: 'could not connect or log in to the server',
  SFTP_POLL_TIMEOUT: 'a remote call did not finish in time; the connection is dropped and rebuilt',
  SFTP_POLL_CONNECTION_LOST: 'the connection broke; it is rebuilt with backoff',
  SFTP_POLL_SECRET_MISSING: 'a secret reference names an unset environment variable or an unreadable file',
  SFTP_POLL_LIST_FAILED: 'the inbound directory could not be listed (missing, not a directory, no permission); retried with backoff',
  SFTP_POLL_REMOTE_NAME_REFUSED: 'the server listed a name that is not a plain file name',
  SFTP_POLL_LINK_SKIPPED: 'a name matching the pattern is a symbolic link: never followed, never taken',
  SFTP_POLL_RESULT_NAME_SKIPPED: 'a name ending like our result files (.result.csv, .result.json, .997.x12): never taken, so a result is never answered with another',
  SFTP_POLL_FILE_CHANGED: 'a file changed while it was downloaded; it is taken again once stable',
  SFTP_POLL_DOWNLOAD_FAILED: 'a file could not be read from the server or stored by us (gone, no permission, our disk); it is tried again once stable',
  SFTP_POLL_FILE_REFUSED: 'the inbox refused the file itself (larger than MAX_FILE_BYTES); left on the server, not retried until it changes; <name>.error.txt in outboundDir says why',
  SFTP_POLL_CLEANUP_FAILED: 'a taken file could not be moved or deleted on the server; it is remembered and retried, never re-ingested',
  SFTP_POLL_UPLOAD_FAILED: 'a result file could not be uploaded to the outbound directory',
  SFTP_POLL_CLOSED: 'the poller was closed during the call',
} as const;
export type SftpPollErrorCode = keyof typeof SFTP_POLL_ERRORS;

export class SftpPollError extends Error {
  override readonly name = 'SftpPollError';
  constructor(
    readonly code: SftpPollErrorCode,
    message: string = SFTP_POLL_ERRORS[code],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Whether a failure is the connection's (the pass stops and the connection is rebuilt with backoff) rather than
 * one file's (logged, and the pass goes on). RemoteSession turns every error it sees after the connection broke
 * into one of these codes, so a plain error here is a file's own problem (no such file, permission denied).
 */
export function breaksConnection(error: unknown): boolean {
  if (!(error instanceof SftpPollError)) return false;
  return ['SFTP_POLL_HOST_KEY_MISMATCH', 'SFTP_POLL_CONNECT_FAILED', 'SFTP_POLL_TIMEOUT', 'SFTP_POLL_CONNECTION_LOST', 'SFTP_POLL_SECRET_MISSING', 'SFTP_POLL_CLOSED'].includes(error.code);
}
