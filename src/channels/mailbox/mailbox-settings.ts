import { configErrorOf } from '../../config/env.ts';
import { z } from 'zod';

/**
 * One allowed sender: a whole address (`orders@acme.com`) or every address of a domain (`@acme.com`).
 * Compared lower-case: the local part is case-sensitive in theory, never in the mail systems customers use.
 */
const AllowedSenderSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^([^\s@]+)?@[^\s@]+$/, 'expected an address (orders@acme.com) or a domain (@acme.com)');

/**
 * `channels.email` of a customer's `customer.yaml`: who may send files by email, and what is taken from a message.
 */
export const EmailChannelSchema = z.object({
  /** Addresses (`orders@acme.com`) and domains (`@acme.com`) whose messages are taken; an exact address wins over a domain. */
  allowedSenders: z.array(AllowedSenderSchema).min(1),
  /** Globs of attachment names to take (`*.csv`, `orders-??.x12`; case-insensitive). Default: every attachment. */
  attachments: z.array(z.string().min(1)).min(1).optional(),
  /** Also take the message's plain-text body as a file (customers who paste a CSV into the message). Default: false. */
  takeBody: z.boolean().default(false),
  /** The name the body is received under, so a mapping can choose it by name. Default `body.txt`. */
  bodyFileName: z.string().min(1).max(200).default('body.txt'),
});
export type EmailChannel = z.infer<typeof EmailChannelSchema>;
export type EmailChannelInput = z.input<typeof EmailChannelSchema>;

/** Limits that keep a hostile message (mail bomb, deep nesting) from costing more than a quarantine. */
export const MailboxLimitsSchema = z.object({
  /** A larger message (RFC822.SIZE, known before download) is quarantined without being downloaded. Default 25 MiB. */
  maxMessageBytes: z.number().int().min(1024).default(25 * 1024 * 1024),
  /** MIME parts (every entity, containers included). Default 200. */
  maxParts: z.number().int().min(1).default(200),
  /** Nesting depth of multiparts and attached messages (the top-level entity is depth 0). Default 8. */
  maxDepth: z.number().int().min(1).default(8),
});
export type MailboxLimits = z.infer<typeof MailboxLimitsSchema>;

/**
 * The one mailbox the process watches. Process-wide (not per customer): customers differ only by sender.
 */
export const MailboxSettingsSchema = z.object({
  host: z.string().min(1),
  /** Default 993 (implicit TLS). */
  port: z.number().int().min(1).max(65535).default(993),
  /** `implicit` (port 993), `starttls` (required upgrade; fails when not offered), `none` (loopback and tests only). */
  tls: z.enum(['implicit', 'starttls', 'none']).default('implicit'),
  /** Verify the server's certificate. Default true. */
  rejectUnauthorized: z.boolean().default(true),
  user: z.string().min(1),
  /** From the environment (`MAILBOX_PASSWORD`), never from a file in `mappings/`. Redacted from logs by key name. */
  password: z.string().min(1),
  folders: z
    .object({
      /** Watched for new messages. Default `INBOX`. */
      inbox: z.string().min(1).default('INBOX'),
      /** Where a message goes once the inbox has every file it carried. Created when missing. Default `Processed`. */
      processed: z.string().min(1).default('Processed'),
      /** Where refused messages go (the reason is in `gateway.mailbox_messages`). Created when missing. Default `Quarantine`. */
      quarantine: z.string().min(1).default('Quarantine'),
    })
    .prefault({}),
  /**
   * The cursor's key in the ledger. Default `<user>@<host>/<inbox folder>`; set it when the host name changes
   * but the mailbox does not (a new key starts from UID 0, which the message dedup makes safe but slow).
   */
  name: z.string().min(1).optional(),
  /** IDLE tells us of new mail at once; this poll is the fallback for servers or proxies that drop IDLE silently. Default 60 s. */
  pollIntervalMs: z.number().int().min(10).default(60_000),
  /** First wait before building a new client after the connection closed; doubles up to `maxReconnectDelayMs`. Default 1 s. */
  reconnectDelayMs: z.number().int().min(10).default(1000),
  /** Default 60 s. */
  maxReconnectDelayMs: z.number().int().min(10).default(60_000),
  /** Attempts at a message whose handling keeps failing (inbox or server errors) before it is quarantined. Default 5. */
  maxAttempts: z.number().int().min(1).default(5),
  /**
   * At most one "what was wrong" reply per sender address in this time (counted in the ledger, so a restart does
   * not reset it): the guard against a loop with an auto-responder that marks its mail by no header we know (an
   * "Automatic reply:" subject and nothing else). Later refusals are still recorded, unanswered. Default 1 h.
   */
  quarantineReplyIntervalMs: z.number().int().min(0).default(60 * 60 * 1000),
  limits: MailboxLimitsSchema.prefault({}),
  /**
   * The authserv-id of the mail server that receives customers' mail (the first word of the
   * `Authentication-Results` fields it adds, e.g. `mx.example.com`). Set, a message is taken only when that
   * server's results authenticate its From address (DMARC pass, or an aligned DKIM or SPF pass); any other is
   * quarantined as MAILBOX_SENDER_NOT_AUTHENTICATED. Unset, the From address is believed as written.
   */
  authservId: z.string().trim().min(1).optional(),
});
export type MailboxSettings = z.infer<typeof MailboxSettingsSchema>;
export type MailboxSettingsInput = z.input<typeof MailboxSettingsSchema>;

/**
 * The SMTP server replies go out through (results, and "what was wrong" to known senders).
 */
export const SmtpSettingsSchema = z.object({
  host: z.string().min(1),
  /** Default 587 (submission with STARTTLS). */
  port: z.number().int().min(1).max(65535).default(587),
  /** `implicit` (port 465), `starttls` (required), `none` (loopback relays and tests only). */
  tls: z.enum(['implicit', 'starttls', 'none']).default('starttls'),
  rejectUnauthorized: z.boolean().default(true),
  user: z.string().min(1).optional(),
  /** From the environment (`SMTP_PASSWORD`). */
  password: z.string().min(1).optional(),
  /** The From of every reply, e.g. `"Acme intake" <intake@example.com>`; also the domain of reply Message-IDs. */
  from: z
    .string()
    .trim()
    .regex(/^(?:[^<>@]*<[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+)$/, 'expected an address (intake@example.com) or a name and an address ("Acme intake" <intake@example.com>)'),
  /** Default 30 s. */
  timeoutMs: z.number().int().min(100).default(30_000),
});
export type SmtpSettings = z.infer<typeof SmtpSettingsSchema>;
export type SmtpSettingsInput = z.input<typeof SmtpSettingsSchema>;

/**
 * Mailbox and SMTP settings from the environment, for the process wiring. `MAILBOX_HOST` unset: no mailbox.
 * Variables: MAILBOX_HOST, MAILBOX_PORT, MAILBOX_TLS, MAILBOX_USER, MAILBOX_PASSWORD, MAILBOX_FOLDER,
 * MAILBOX_PROCESSED_FOLDER, MAILBOX_QUARANTINE_FOLDER, MAILBOX_POLL_INTERVAL_MS, MAILBOX_AUTHSERV_ID, SMTP_HOST, SMTP_PORT, SMTP_TLS,
 * SMTP_USER, SMTP_PASSWORD, SMTP_FROM.
 */
export function mailboxSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): { mailbox: MailboxSettings; smtp: SmtpSettings | undefined } | undefined {
  const mailbox = present(env, 'MAILBOX_HOST')
    ? fromEnv(MailboxSettingsSchema, env, {
        host: 'MAILBOX_HOST',
        port: 'MAILBOX_PORT',
        tls: 'MAILBOX_TLS',
        user: 'MAILBOX_USER',
        password: 'MAILBOX_PASSWORD',
        pollIntervalMs: 'MAILBOX_POLL_INTERVAL_MS',
        'folders.inbox': 'MAILBOX_FOLDER',
        'folders.processed': 'MAILBOX_PROCESSED_FOLDER',
        'folders.quarantine': 'MAILBOX_QUARANTINE_FOLDER',
        authservId: 'MAILBOX_AUTHSERV_ID',
      })
    : undefined;
  // Read even without a mailbox: SMTP is unused then, but a bad SMTP_* value is still an operator's mistake to hear
  // about at start-up, not once a mailbox is added and replies start failing.
  const smtp = present(env, 'SMTP_HOST')
    ? fromEnv(SmtpSettingsSchema, env, { host: 'SMTP_HOST', port: 'SMTP_PORT', tls: 'SMTP_TLS', user: 'SMTP_USER', password: 'SMTP_PASSWORD', from: 'SMTP_FROM' })
    : undefined;
  if (!mailbox) return undefined;
  return { mailbox, smtp };
}

const NUMERIC_FIELDS = new Set(['port', 'pollIntervalMs']);

function present(env: NodeJS.ProcessEnv, variable: string): boolean {
  return env[variable] !== undefined && env[variable] !== '';
}

/**
 * Settings from the environment variables named for each field (a dotted path), validated by `schema`; a bad value
 * stops the start with a ConfigError naming the variable, like every other setting (src/config/env.ts).
 */
function fromEnv<T>(schema: z.ZodType<T>, env: NodeJS.ProcessEnv, variables: Record<string, string>): T {
  const input: Record<string, unknown> = {};
  for (const [path, variable] of Object.entries(variables)) {
    if (!present(env, variable)) continue;
    const [head, leaf] = path.split('.') as [string, string | undefined];
    const value = NUMERIC_FIELDS.has(head) ? Number(env[variable]) : env[variable];
    if (leaf === undefined) input[head] = value;
    else input[head] = { ...(input[head] as object | undefined), [leaf]: value };
  }
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw configErrorOf(
    parsed.error.issues.map((issue) => ({ variable: variables[issue.path.join('.')] ?? issue.path.join('.'), message: issue.message })),
    env,
  );
}
