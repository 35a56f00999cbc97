export { emailReplyDeliverer, resultText } from './email-reply-deliverer.ts';
export { MAILBOX_ERRORS, type MailboxErrorCode, type QuarantineReason } from './mailbox-errors.ts';
export { listQuarantined, type MailboxMessageRecord } from './mailbox-ledger.ts';
export {
  EmailChannelSchema,
  MailboxLimitsSchema,
  MailboxSettingsSchema,
  SmtpSettingsSchema,
  mailboxSettingsFromEnv,
  type EmailChannel,
  type MailboxSettings,
  type MailboxSettingsInput,
  type SmtpSettings,
  type SmtpSettingsInput,
} from './mailbox-settings.ts';
export { MailboxWatcher, type MailboxWatcherOptions } from './mailbox-watcher.ts';
export { ReplyMailer, type EmailReplyTo } from './reply-mailer.ts';
export { createSenderDirectory, SenderDirectoryError, type MailboxCustomers } from './sender-directory.ts';
