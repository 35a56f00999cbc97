/**
 * Every code the mailbox channel records in `gateway.mailbox_messages.reason_code`: why a message was quarantined,
 * or why part of a processed one was not taken. `reply`: whether a known sender is told (an unknown sender never is: replying to forged senders is backscatter;
 * an automatic message never is: two robots answering each other loop). `customerMessage`: the reply's sentence.
 */
export const MAILBOX_ERRORS = {
  MAILBOX_UNKNOWN_SENDER: { reply: false, customerMessage: 'the sender is not on any customer\u2019s list of allowed senders' },
  // Not told: the From may be forged, and the real owner of the address did not send it.
  MAILBOX_SENDER_NOT_AUTHENTICATED: { reply: false, customerMessage: 'the mail server did not authenticate the sender (DMARC, DKIM or SPF)' },
  MAILBOX_NO_SENDER: { reply: false, customerMessage: 'the message has no sender address' },
  MAILBOX_AUTOMATIC_MESSAGE: { reply: false, customerMessage: 'the message is an automatic reply or a bounce' },
  MAILBOX_NO_USABLE_ATTACHMENT: { reply: true, customerMessage: 'the message has no attachment we take' },
  MAILBOX_MESSAGE_TOO_LARGE: { reply: true, customerMessage: 'the message is larger than we accept' },
  MAILBOX_TOO_MANY_PARTS: { reply: true, customerMessage: 'the message has more MIME parts than we accept' },
  MAILBOX_TOO_DEEP: { reply: true, customerMessage: 'the message nests multiparts or attached messages deeper than we accept' },
  MAILBOX_BAD_MIME: { reply: true, customerMessage: 'the message could not be read (malformed MIME)' },
  MAILBOX_PROCESSING_FAILED: { reply: true, customerMessage: 'the message could not be handed over after several attempts' },
  // Not a quarantine: the message's other files were taken (outcome PROCESSED). The detail names each file left out
  // and why, so the sender can send it again; without it, that file would be gone without a word.
  MAILBOX_ATTACHMENTS_NOT_TAKEN: { reply: true, customerMessage: 'some attachments were not processed' },
} as const satisfies Record<string, { reply: boolean; customerMessage: string }>;

export type MailboxErrorCode = keyof typeof MAILBOX_ERRORS;

/** A registered code and the detail an operator (and a known sender) reads: why a message, or part of it, was not taken. */
export interface QuarantineReason {
  code: MailboxErrorCode;
  message: string;
}

export function quarantineReason(code: MailboxErrorCode, detail?: string): QuarantineReason {
  const base = MAILBOX_ERRORS[code].customerMessage;
  return { code, message: detail ? `${base}: ${detail}` : base };
}
