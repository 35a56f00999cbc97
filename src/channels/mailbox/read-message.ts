import type { AddressObject } from 'mailparser';
import { attachmentFileName } from './attachment-file-name.ts';
import { quarantineReason, type QuarantineReason } from './mailbox-errors.ts';
import type { MailboxLimits } from './mailbox-settings.ts';
import { parseMessage, type ParsedAttachment, type ParsedMessage } from './parse-message.ts';
import { scanMimeStructure } from './scan-mime-structure.ts';
import { authenticateSender } from './sender-authentication.ts';
import type { MailboxCustomers } from './sender-directory.ts';

/** What is known of a message for the ledger and for threading a reply. */
export interface MessageFacts {
  sender: string;
  subject: string;
  messageId: string | undefined;
  references: string[];
  /** Auto-responders, bounces, robots (see `automaticSignals`): never told what was wrong; their files' results still go back. */
  automatic: boolean;
}

/** One file taken from a message: `part` is its stable position among the message's parts (part of its identity). */
export interface TakenFile {
  part: number;
  name: string;
  content: Buffer;
}

/** `authservId`: the receiving mail server whose Authentication-Results must authenticate the From address. */
export interface SenderTrust {
  authservId?: string;
}

/** An attachment the customer sent that was not taken, and why (what the sender is told). */
export interface IgnoredPart {
  name: string;
  why: string;
}

/** `reason` of a `take`: why some attachments were left out (`MAILBOX_ATTACHMENTS_NOT_TAKEN`), when any were. */
export type MessageDecision =
  | { kind: 'take'; facts: MessageFacts; customer: string; files: TakenFile[]; ignored: IgnoredPart[]; reason: QuarantineReason | undefined }
  | { kind: 'quarantine'; facts: MessageFacts; customer: string | undefined; reason: QuarantineReason; ignored: IgnoredPart[] };

/** Only attachments and the plain text are read: nothing is rendered. */
const PARSE_OPTIONS = { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true, maxHtmlLengthToParse: 1024 * 1024 };

/** The body's part number: after every attachment, whatever their count. */
const BODY_PART = 1_000_000;

/**
 * Decides what happens to one downloaded message: which customer it belongs to and which of its files go to the
 * inbox, or why it is quarantined. The cheap structural scan runs first, so the full parser only ever sees a
 * message within the limits; a parser failure is a quarantine, never an exception.
 */
export async function readMessage(raw: Buffer, limits: MailboxLimits, customers: MailboxCustomers, trust: SenderTrust = {}): Promise<MessageDecision> {
  const scan = scanMimeStructure(raw, limits);
  if (!scan.ok) return unreadMessage(raw, scan.reason, customers);

  let parsed: ParsedMessage;
  try {
    parsed = await parseMessage(raw, PARSE_OPTIONS);
  } catch (error) {
    return unreadMessage(raw, quarantineReason('MAILBOX_BAD_MIME', (error as Error).message.slice(0, 200)), customers);
  }

  const { facts, bounce, fromAddresses } = factsOf(parsed, raw);
  if (!facts.sender) return { kind: 'quarantine', facts, customer: undefined, reason: quarantineReason('MAILBOX_NO_SENDER'), ignored: [] };
  const customer = customers.customerForSender(facts.sender);
  if (customer === undefined) return { kind: 'quarantine', facts, customer: undefined, reason: quarantineReason('MAILBOX_UNKNOWN_SENDER', facts.sender), ignored: [] };
  if (trust.authservId !== undefined) {
    // DMARC authenticates one From address; a second one beside it would be taken on trust.
    const check =
      fromAddresses === 1 ? authenticateSender(headerValues(raw, 'authentication-results'), trust.authservId, facts.sender) : { authenticated: false as const, why: `From holds ${fromAddresses} addresses` };
    if (!check.authenticated) return { kind: 'quarantine', facts, customer, reason: quarantineReason('MAILBOX_SENDER_NOT_AUTHENTICATED', `${facts.sender}: ${check.why}`), ignored: [] };
  }
  if (bounce) return { kind: 'quarantine', facts, customer, reason: quarantineReason('MAILBOX_AUTOMATIC_MESSAGE'), ignored: [] };

  const files: TakenFile[] = [];
  const ignored: IgnoredPart[] = [];
  // `part` numbers every leaf in reading order, so a message without forwarded messages keeps its parts' numbers.
  let part = 0;
  for await (const { attachment, refused } of attachmentsWithin(parsed.attachments, limits, 0)) {
    const index = part++;
    const name = attachmentFileName(attachment.filename, `attachment-${index + 1}`);
    // Inline parts referenced from the HTML (signature logos) are decoration, never a customer's file; a part its
    // sender marked as an attachment is a file wherever it sits (some clients put every part in multipart/related).
    if (attachment.related && attachment.contentDisposition !== 'attachment') continue;
    if (refused) ignored.push({ name, why: `a forwarded message we could not read: ${refused}; attach the file itself` });
    else if (attachment.content.length > 0 && customers.acceptsAttachment(customer, name)) files.push({ part: index, name, content: attachment.content });
    else if (!addedByMailClient(attachment)) ignored.push({ name, why: attachment.content.length === 0 ? 'empty' : 'not a file type we take' });
  }
  const bodyName = customers.bodyFileName?.(customer);
  if (bodyName && parsed.text && parsed.text.trim() !== '') {
    files.push({ part: BODY_PART, name: attachmentFileName(bodyName, 'body.txt'), content: Buffer.from(parsed.text, 'utf8') });
  }
  if (files.length === 0) {
    const detail = ignored.length > 0 ? `ignored ${listIgnored(ignored)}` : 'the message has no attachments';
    return { kind: 'quarantine', facts, customer, reason: quarantineReason('MAILBOX_NO_USABLE_ATTACHMENT', detail), ignored };
  }
  return { kind: 'take', facts, customer, files, ignored, reason: ignored.length > 0 ? quarantineReason('MAILBOX_ATTACHMENTS_NOT_TAKEN', listIgnored(ignored)) : undefined };
}

function listIgnored(ignored: IgnoredPart[]): string {
  return ignored.map(({ name, why }) => `"${name}" (${why})`).join(', ');
}

/** Signatures and calendar invitations: mail clients attach them on their own; no customer sends us one as a file. */
const MAIL_CLIENT_TYPES = /^(application\/(x-)?pkcs7-signature|application\/pgp-signature|text\/calendar|application\/ics)$/i;

/**
 * A part the sender's mail client added (a signature, an invitation, an image shown in the HTML body): not taken
 * unless the customer's globs name it, and then never worth telling the sender about: they did not attach it.
 */
function addedByMailClient(attachment: ParsedAttachment): boolean {
  if (MAIL_CLIENT_TYPES.test(attachment.contentType)) return true;
  return /^image\//i.test(attachment.contentType) && attachment.contentDisposition !== 'attachment' && attachment.contentId !== undefined;
}

/** An attached message: "Forward as attachment" in Outlook, Thunderbird and Apple Mail, or a mail system's relay. */
const ATTACHED_MESSAGE = /^message\/(rfc822|global)$/i;

/**
 * The attachments of a message, with each attached message replaced by its own attachments (depth first), as
 * a customer who forwards a mail "as attachment" means them: the file inside is what they send; the wrapper
 * (inner.eml) is no file of theirs. The outer sender is the one trusted, as with any attachment it sends.
 * The top-level scan already counted the parts of an attached message sent as plain text, but not of one in
 * base64 or quoted-printable: each attached message is scanned again, within the depth left, before it is parsed.
 * `refused`: why an attached message was not read.
 */
async function* attachmentsWithin(attachments: ParsedAttachment[], limits: MailboxLimits, level: number): AsyncGenerator<{ attachment: ParsedAttachment; refused?: string }> {
  for (const attachment of attachments) {
    if (!ATTACHED_MESSAGE.test(attachment.contentType)) {
      yield { attachment };
      continue;
    }
    const inner = await readAttachedMessage(attachment.content, { maxParts: limits.maxParts, maxDepth: limits.maxDepth - level - 1 });
    if ('refused' in inner) yield { attachment, refused: inner.refused };
    else yield* attachmentsWithin(inner.attachments, limits, level + 1);
  }
}

async function readAttachedMessage(raw: Buffer, limits: Pick<MailboxLimits, 'maxParts' | 'maxDepth'>): Promise<ParsedMessage | { refused: string }> {
  const scan = scanMimeStructure(raw, limits);
  if (!scan.ok) return { refused: scan.reason.message };
  try {
    return await parseMessage(raw, PARSE_OPTIONS);
  } catch (error) {
    return { refused: quarantineReason('MAILBOX_BAD_MIME', (error as Error).message.slice(0, 200)).message };
  }
}

/**
 * A message refused before or by the parser: its sender is read from the raw header section, so a known sender
 * is told what was wrong (it may be a broken export, not an attack); an unknown one never is.
 */
function unreadMessage(raw: Buffer, reason: QuarantineReason, customers: MailboxCustomers): MessageDecision {
  const facts = headerFacts(raw);
  return { kind: 'quarantine', facts, customer: facts.sender ? customers.customerForSender(facts.sender) : undefined, reason, ignored: [] };
}

function factsOf(parsed: ParsedMessage, raw: Buffer): { facts: MessageFacts; bounce: boolean; fromAddresses: number } {
  const header = (name: string) => parsed.headers.get(name);
  const rawReferences = header('references');
  const references = typeof rawReferences === 'string' ? rawReferences.split(/\s+/) : Array.isArray(rawReferences) ? rawReferences.map(String) : [];
  const messageId = header('message-id');
  const subject = header('subject');
  const from = (header('from') as AddressObject | undefined)?.value ?? [];
  const sender = (from[0]?.address ?? '').trim().toLowerCase();
  const { automatic, bounce } = automaticSignals(headerLookup(raw), sender);
  const facts: MessageFacts = {
    sender,
    subject: (typeof subject === 'string' ? subject : '').slice(0, 500),
    messageId: typeof messageId === 'string' && messageId !== '' ? messageId.slice(0, 998) : undefined,
    references: references.filter((r) => /^<[^<>\s]+>$/.test(r)).slice(-20),
    automatic,
  };
  return { facts, bounce, fromAddresses: from.length };
}

/**
 * Header fields that mark a message as an auto-reply although RFC 3834's Auto-Submitted is missing: responders
 * older than the RFC, or that never adopted it, still write these. Each one, with who writes it.
 */
const AUTO_REPLY_MARKERS: ReadonlyArray<{ header: string; means: (value: string) => boolean }> = [
  // Vacation responders of hosting panels and webmail that predate RFC 3834: `X-Autoreply: yes`.
  { header: 'x-autoreply', means: (value) => !/^(no|false|0)$/.test(value) },
  // The same kind of responder, often next to X-Autoreply; the value is free text ("Out of Office").
  { header: 'x-autorespond', means: () => true },
  // `X-Autogenerated: Reply` (GroupWise-style); its other values (`Forward`, `Group`) are not replies.
  { header: 'x-autogenerated', means: (value) => value.startsWith('reply') },
];

/**
 * Header fields by which a sender asks for no automatic answer, or that only automated mail carries: we take its
 * files, but never tell it what was wrong.
 */
const NO_ANSWER_MARKERS: ReadonlyArray<{ header: string; means: (value: string) => boolean }> = [
  // Microsoft: Exchange and Outlook put it on out-of-office replies, receipts and rule-made mail to say "do not
  // answer this automatically" (PidTagAutoResponseSuppress, MS-OXCMAIL); `None` waives it. Our replies carry it too.
  { header: 'x-auto-response-suppress', means: (value) => value !== 'none' },
  // Exchange stamps mail that an inbox rule made or redirected: its out-of-office rule replies often carry nothing else.
  { header: 'x-ms-exchange-inbox-rules-loop', means: () => true },
  // Mailing-list managers (RFC 2919); RFC 3834 §2 says not to answer list mail.
  { header: 'list-id', means: () => true },
];

/** Every header field `automaticSignals` reads: the watcher fetches these alone for a message it does not download. */
export const AUTOMATIC_SIGNAL_HEADERS = ['return-path', 'auto-submitted', 'precedence', 'content-type', ...[...AUTO_REPLY_MARKERS, ...NO_ANSWER_MARKERS].map((m) => m.header)];

/**
 * RFC 3834 §2: never answer a message that is itself automatic (Auto-Submitted other than `no`, Precedence
 * bulk/junk/list, NO_ANSWER_MARKERS), a delivery report, or anything from a mail system: a null Return-Path is
 * only ever used by bounces and receipts (RFC 5321 §4.5.5), and MAILER-DAEMON / postmaster send bounces whatever
 * their format.
 * `bounce`: not a customer's message at all (a bounce, or an auto-reply by Auto-Submitted or AUTO_REPLY_MARKERS),
 * quarantined whatever it carries: it often carries our own reply back. `automatic`: a robot that may still send
 * files (an ERP export) and gets its results, but is never told what was wrong.
 */
export function automaticSignals(header: (name: string) => string | undefined, sender: string): { bounce: boolean; automatic: boolean } {
  const value = (name: string) => header(name)?.trim().toLowerCase();
  const autoSubmitted = value('auto-submitted') ?? 'no';
  const precedence = value('precedence') ?? '';
  const contentType = value('content-type') ?? '';
  const returnPath = header('return-path');
  const localPart = sender.slice(0, sender.lastIndexOf('@')).toLowerCase();
  const marked = (markers: typeof AUTO_REPLY_MARKERS) =>
    markers.some(({ header: name, means }) => {
      const found = value(name);
      return found !== undefined && means(found);
    });
  const bounce =
    (returnPath !== undefined && /^<\s*>$/.test(returnPath)) ||
    ['mailer-daemon', 'postmaster'].includes(localPart) ||
    /^multipart\/report\b/.test(contentType) ||
    autoSubmitted.startsWith('auto-replied') ||
    marked(AUTO_REPLY_MARKERS);
  const automatic = bounce || !autoSubmitted.startsWith('no') || ['bulk', 'junk', 'list', 'auto_reply'].includes(precedence) || marked(NO_ANSWER_MARKERS);
  return { bounce, automatic };
}

/**
 * A case-insensitive lookup in a message's top header section (folded lines joined), from raw bytes: works on a
 * message no parser accepted, and on the header fields IMAP returns alone.
 */
function topHeaderSection(raw: Buffer): string {
  const head = raw.subarray(0, Math.min(raw.length, 64 * 1024)).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  return (end === -1 ? head : head.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
}

export function headerLookup(raw: Buffer): (name: string) => string | undefined {
  const section = topHeaderSection(raw);
  return (name) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(section)?.[1]?.trim();
}

/** Every value of a header field that may repeat (Authentication-Results: one per receiving server, or per check). */
function headerValues(raw: Buffer, name: string): string[] {
  return [...topHeaderSection(raw).matchAll(new RegExp(`^${name}:[ \\t]*(.*)$`, 'gim'))].map((match) => match[1]!.trim());
}

/**
 * The facts of a message the parser never saw (refused by the scan) or could not read, from the top header
 * section alone, so a known sender can still be told, and the ledger says who sent it.
 */
export function headerFacts(raw: Buffer): MessageFacts {
  const header = headerLookup(raw);
  const from = header('from') ?? '';
  const sender = (/<([^<>\s]+@[^<>\s]+)>/.exec(from)?.[1] ?? /([^\s<>,;"]+@[^\s<>,;"]+)/.exec(from)?.[1] ?? '').toLowerCase();
  const messageId = header('message-id');
  return {
    sender,
    subject: (header('subject') ?? '').slice(0, 500),
    messageId: messageId && /^<[^<>\s]+>$/.test(messageId) ? messageId : undefined,
    references: [],
    automatic: automaticSignals(header, sender).automatic,
  };
}
