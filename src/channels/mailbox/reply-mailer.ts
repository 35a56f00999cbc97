import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import { SmtpSettingsSchema, type SmtpSettings, type SmtpSettingsInput } from './mailbox-settings.ts';

/**
 * Where a mailed file's result goes: the `replyTo` the watcher hands the inbox with each file (stored in
 * `gateway.files.reply_to`). `messageKey` and `part` identify the file within its message, so a retried
 * message never delivers the same part twice.
 */
export interface EmailReplyTo {
  channel: 'email';
  /** The allow-listed From address. Replies go only here, never to a Reply-To header: that could name anyone. */
  address: string;
  /** The original Message-ID, `<...>` included; absent when the message had none. */
  messageId?: string;
  /** The original References (capped), so the reply threads under the whole conversation. */
  references: string[];
  subject: string;
  mailbox: string;
  messageKey: string;
  part: number;
}

export interface ReplyAttachment {
  filename: string;
  path?: string;
  content?: string | Buffer;
}

export interface ReplyMessage {
  to: string;
  /** The subject being answered; the reply's is `Re: <subject>` (not `Re: Re:`). */
  subject: string;
  /** The Message-ID being answered (In-Reply-To). */
  inReplyTo?: string;
  references?: string[];
  text: string;
  attachments?: ReplyAttachment[];
  /** A stable Message-ID (the local part, without `<@domain>`), so a retried delivery is recognisably the same mail. */
  messageIdLocalPart?: string;
}

/** A thread's References are bounded: a hostile message can carry thousands, and headers have practical limits. */
const MAX_REFERENCES = 20;

export function replySubject(subject: string): string {
  const trimmed = subject.trim();
  return /^re:/i.test(trimmed) ? trimmed : `Re: ${trimmed || '(no subject)'}`;
}

/** RFC 5322 threading: the answered message's References followed by its Message-ID, newest last. */
export function threadReferences(references: readonly string[], messageId: string | undefined): string[] {
  const all = [...references, ...(messageId ? [messageId] : [])];
  return [...new Set(all)].slice(-MAX_REFERENCES);
}

/**
 * One SMTP transport for every reply this process sends (results, and "what was wrong" answers). Every reply is
 * marked `Auto-Submitted: auto-replied` (RFC 3834) so well-behaved auto-responders do not answer it back.
 */
export class ReplyMailer {
  readonly settings: SmtpSettings;
  private readonly transport: Transporter;

  constructor(settings: SmtpSettingsInput) {
    this.settings = SmtpSettingsSchema.parse(settings);
    const s = this.settings;
    this.transport = nodemailer.createTransport({
      host: s.host,
      port: s.port,
      secure: s.tls === 'implicit',
      requireTLS: s.tls === 'starttls',
      ignoreTLS: s.tls === 'none',
      ...(s.user ? { auth: { user: s.user, pass: s.password ?? '' } } : {}),
      tls: { rejectUnauthorized: s.rejectUnauthorized },
      connectionTimeout: s.timeoutMs,
      greetingTimeout: s.timeoutMs,
      socketTimeout: s.timeoutMs,
    });
  }

  async send(message: ReplyMessage): Promise<{ messageId: string }> {
    const domain = /@([^>\s]+)>?\s*$/.exec(this.settings.from)?.[1] ?? 'intake.invalid';
    const references = threadReferences(message.references ?? [], message.inReplyTo);
    const info = await this.transport.sendMail({
      from: this.settings.from,
      to: message.to,
      subject: replySubject(message.subject),
      text: message.text,
      ...(message.inReplyTo ? { inReplyTo: message.inReplyTo } : {}),
      ...(references.length > 0 ? { references } : {}),
      ...(message.messageIdLocalPart ? { messageId: `<${message.messageIdLocalPart}@${domain}>` } : {}),
      headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' },
      attachments: (message.attachments ?? []).map((a) => ({ filename: a.filename, ...(a.path ? { path: a.path } : {}), ...(a.content !== undefined ? { content: a.content } : {}) })),
    });
    return { messageId: String(info.messageId) };
  }

  close(): void {
    this.transport.close();
  }
}
