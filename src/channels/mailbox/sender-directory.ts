import { EmailChannelSchema, type EmailChannel, type EmailChannelInput } from './mailbox-settings.ts';

/**
 * What the watcher needs to know about customers. The lead wires it to the mappings (`channels.email` of every
 * `customer.yaml`), usually through `createSenderDirectory`; tests pass their own.
 */
export interface MailboxCustomers {
  /** The customer a sender address belongs to, or undefined (the message is quarantined, and never answered). */
  customerForSender(address: string): string | undefined;
  /** Whether an attachment of this (sanitised) name is taken for this customer. */
  acceptsAttachment(customer: string, fileName: string): boolean;
  /** The name the plain-text body is received under, or undefined when this customer's bodies are not taken. */
  bodyFileName?(customer: string): string | undefined;
}

export class SenderDirectoryError extends Error {
  override readonly name = 'SenderDirectoryError';
  readonly code = 'MAILBOX_SENDER_AMBIGUOUS';
}

/**
 * Builds the directory from every customer's `channels.email`. An exact address wins over a domain
 * (`boss@acme.com` of customer A beats `@acme.com` of customer B). The same address, or the same domain, under
 * two customers is a configuration error thrown here: guessing would hand one customer's files to another.
 */
export function createSenderDirectory(channels: Record<string, EmailChannel | EmailChannelInput>): MailboxCustomers {
  const byAddress = new Map<string, string>();
  const byDomain = new Map<string, string>();
  const configs = new Map<string, { patterns: RegExp[] | undefined; body: string | undefined }>();
  for (const [customer, input] of Object.entries(channels)) {
    const channel = EmailChannelSchema.parse(input);
    configs.set(customer, {
      patterns: channel.attachments?.map(globToRegExp),
      body: channel.takeBody ? channel.bodyFileName : undefined,
    });
    for (const sender of channel.allowedSenders) {
      const table = sender.startsWith('@') ? byDomain : byAddress;
      const key = sender.startsWith('@') ? sender.slice(1) : sender;
      const owner = table.get(key);
      if (owner !== undefined && owner !== customer) throw new SenderDirectoryError(`allowed sender "${sender}" is listed by both "${owner}" and "${customer}"`);
      table.set(key, customer);
    }
  }
  return {
    customerForSender(address) {
      const normalized = address.trim().toLowerCase();
      const exact = byAddress.get(normalized);
      if (exact !== undefined) return exact;
      const at = normalized.lastIndexOf('@');
      return at < 0 ? undefined : byDomain.get(normalized.slice(at + 1));
    },
    acceptsAttachment(customer, fileName) {
      const config = configs.get(customer);
      if (!config) return false;
      return config.patterns === undefined || config.patterns.some((pattern) => pattern.test(fileName));
    },
    bodyFileName: (customer) => configs.get(customer)?.body,
  };
}

/** `*` any run of characters, `?` one character, `[abc]` a class; everything else literal; case-insensitive, whole name. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close === -1) {
        source += '\\[';
        continue;
      }
      const body = glob.slice(i + 1, close).replace(/\\/g, '\\\\');
      source += body.startsWith('!') ? `[^${body.slice(1)}]` : `[${body}]`;
      i = close;
    } else source += char.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'is');
}
