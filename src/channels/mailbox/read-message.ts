import { simpleParser, type ParsedMail } from 'mailparser';
import { attachmentFileName } from './attachment-file-name.ts';
import { quarantineReason, type QuarantineReason } from './mailbox-errors.ts';
import type { MailboxLimits } from './mailbox-settings.ts';
import { scanMimeStructure } from './scan-mime-structure.ts';
import type { MailboxCustomers } from './sender-directory.ts';

/** What is known of a message for the ledger and for threading a reply. */
export interface MessageFacts {
  sender: string;
  subject: string;
  messageId: string | undefined;
  references: string[];
  /** Auto-responders, bounces, robots (RFC 3834 Auto-Submitted, Precedence bulk/junk): never answered. */
  automatic: boolean;
}

/** One file taken from a message: `part` is its stable position among the message's parts (part of its identity). */
export interface TakenFile {
  part: number;
  name: string;
  content: Buffer;
}

export type MessageDecision =
  | { kind: 'take'; facts: MessageFacts; customer: string; files: TakenFile[]; ignored: string[] }
  | { kind: 'quarantine'; facts: MessageFacts; customer: string | undefined; reason: QuarantineReason; ignored: string[] };

/** The body's part number: after every attachment, whatever their count. */
const BODY_PART = 1_000_000;

/**
 * Decides what happens to one downloaded message: which customer it belongs to and which of its files go to the
 * inbox, or why it is quarantined. The cheap structural scan runs first, so the full parser only ever sees a
 * message within the limits; a parser failure is a quarantine, never an exception.
 */
export async function readMessage(raw: Buffer, limits: MailboxLimits, customers: MailboxCustomers): Promise<MessageDecision> {
  const emptyFacts: MessageFacts = { sender: '', subject: '', messageId: undefined, references: [], automatic: false };
  const scan = scanMimeStructure(raw, limits);
  if (!scan.ok) return { kind: 'quarantine', facts: { ...emptyFacts, ...headerFacts(raw) }, customer: undefined, reason: scan.reason, ignored: [] };

  let parsed: ParsedMail;
  try {
    parsed = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true, keepCidLinks: true, maxHtmlLengthToParse: 1024 * 1024 });
  } catch (error) {
    return { kind: 'quarantine', facts: { ...emptyFacts, ...headerFacts(raw) }, customer: undefined, reason: quarantineReason('MAILBOX_BAD_MIME', (error as Error).message.slice(0, 200)), ignored: [] };
  }

  const facts = factsOf(parsed);
  if (!facts.sender) return { kind: 'quarantine', facts, customer: undefined, reason: quarantineReason('MAILBOX_NO_SENDER'), ignored: [] };
  const customer = customers.customerForSender(facts.sender);
  if (customer === undefined) return { kind: 'quarantine', facts, customer: undefined, reason: quarantineReason('MAILBOX_UNKNOWN_SENDER', facts.sender), ignored: [] };
  if (isBounceOrAutoReply(parsed)) return { kind: 'quarantine', facts: { ...facts, automatic: true }, customer, reason: quarantineReason('MAILBOX_AUTOMATIC_MESSAGE'), ignored: [] };

  const files: TakenFile[] = [];
  const ignored: string[] = [];
  parsed.attachments.forEach((attachment, index) => {
    const name = attachmentFileName(attachment.filename, `attachment-${index + 1}`);
    // Inline parts referenced from the HTML (signature logos) are decoration, never a customer's file.
    if (attachment.related) return;
    if (attachment.content.length === 0) ignored.push(`${name} (empty)`);
    else if (customers.acceptsAttachment(customer, name)) files.push({ part: index, name, content: attachment.content });
    else ignored.push(name);
  });
  const bodyName = customers.bodyFileName?.(customer);
  if (bodyName && parsed.text && parsed.text.trim() !== '') {
    files.push({ part: BODY_PART, name: attachmentFileName(bodyName, 'body.txt'), content: Buffer.from(parsed.text, 'utf8') });
  }
  if (files.length === 0) {
    const detail = ignored.length > 0 ? `ignored ${ignored.map((n) => `"${n}"`).join(', ')}` : 'the message has no attachments';
    return { kind: 'quarantine', facts, customer, reason: quarantineReason('MAILBOX_NO_USABLE_ATTACHMENT', detail), ignored };
  }
  return { kind: 'take', facts, customer, files, ignored };
}

function factsOf(parsed: ParsedMail): MessageFacts {
  const references = typeof parsed.references === 'string' ? parsed.references.split(/\s+/) : (parsed.references ?? []);
  const autoSubmitted = String(parsed.headers.get('auto-submitted') ?? 'no').toLowerCase();
  const precedence = String(parsed.headers.get('precedence') ?? '').toLowerCase();
  return {
    sender: (parsed.from?.value[0]?.address ?? '').trim().toLowerCase(),
    subject: (parsed.subject ?? '').slice(0, 500),
    messageId: parsed.messageId ? parsed.messageId.slice(0, 998) : undefined,
    references: references.filter((r) => /^<[^<>\s]+>$/.test(r)).slice(-20),
    automatic: !autoSubmitted.startsWith('no') || ['bulk', 'junk', 'auto_reply'].includes(precedence),
  };
}

/** Delivery reports and auto-replies carry no files worth taking, and must not start a reply loop. */
function isBounceOrAutoReply(parsed: ParsedMail): boolean {
  const contentType = parsed.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  if (contentType?.value === 'multipart/report') return true;
  const autoSubmitted = String(parsed.headers.get('auto-submitted') ?? '').toLowerCase();
  return autoSubmitted.startsWith('auto-replied');
}

/**
 * The sender and subject of a message the parser never saw (refused by the scan), from the top header section
 * alone, so a known sender can still be told, and the ledger says who sent it.
 */
export function headerFacts(raw: Buffer): Partial<MessageFacts> {
  const head = raw.subarray(0, Math.min(raw.length, 64 * 1024)).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const section = (end === -1 ? head : head.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const header = (name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(section)?.[1]?.trim();
  const from = header('from') ?? '';
  const address = /<([^<>\s]+@[^<>\s]+)>/.exec(from)?.[1] ?? /([^\s<>,;"]+@[^\s<>,;"]+)/.exec(from)?.[1] ?? '';
  const messageId = header('message-id');
  const autoSubmitted = (header('auto-submitted') ?? 'no').toLowerCase();
  return {
    sender: address.toLowerCase(),
    subject: (header('subject') ?? '').slice(0, 500),
    messageId: messageId && /^<[^<>\s]+>$/.test(messageId) ? messageId : undefined,
    automatic: !autoSubmitted.startsWith('no'),
  };
}
