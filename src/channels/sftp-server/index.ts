export { SftpServer, sftpOutboundDir, type SftpServerDeps } from './sftp-server.ts';
export { sftpServerDeliverer } from './deliver-to-sftp-outbound.ts';
export { resolveSftpAccount, parseAuthorizedKeyLines } from './resolve-sftp-account.ts';
export { hashSftpPassword } from './check-credentials.ts';
export { sharedUsernameMessage, withoutSharedUsernames } from './shared-usernames.ts';
export { SFTP_SERVER_ERROR_CODES, SftpServerError, type SftpServerErrorCode } from './sftp-server-errors.ts';
export {
  SftpAccountSchema,
  SftpServerOptionsSchema,
  SftpServerAccountSchema,
  SftpBanPolicySchema,
  SFTP_SERVER_ALGORITHMS,
  DEFAULT_HOLD_NAME_PATTERN,
  type SftpAccountConfig,
  type SftpServerAccount,
  type SftpServerOptions,
  type SftpServerOptionsInput,
} from './sftp-server-options.ts';
export type { SftpReplyTo } from './sftp-jail-session.ts';
