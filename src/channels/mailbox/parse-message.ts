import { MailParser, type AttachmentStream, type Headers, type MailParserOptions, type MessageText } from 'mailparser';

/** The parts of a parsed message the mailbox reads. */
export interface ParsedMessage {
  headers: Headers;
  /** The plain-text body: text parts that name no file. */
  text: string | undefined;
  attachments: ParsedAttachment[];
}

export interface ParsedAttachment {
  filename: string | undefined;
  contentType: string;
  contentDisposition: string | undefined;
  /** In `multipart/related` with a Content-ID: an image of the HTML body, usually. */
  related: boolean;
  /** Set when the HTML body can show the part inline (`cid:`), wherever it sits. */
  contentId: string | undefined;
  content: Buffer;
}

/** mailparser's per-part node; `createNode` and `isAttachment` are internal to it, hence this narrow view. */
interface MailParserInternals {
  createNode(node: { filename?: string | false }): { isAttachment?: boolean };
}

/**
 * mailparser's `simpleParser`, except that a `text/plain` or `text/html` part that names a file (`filename` in
 * its Content-Disposition or `name` in its Content-Type) is an attachment. mailparser folds such a part into the
 * body when it is `inline` or has no disposition (nodemailer/mailparser#125), which is how many ERP exports and
 * some mail clients attach a `.csv`, `.txt` or `.x12`: the customer's file would vanish into the body text, while
 * every mail client the customer uses shows it as an attachment.
 */
export async function parseMessage(raw: Buffer, options: MailParserOptions): Promise<ParsedMessage> {
  const parser = new MailParser(options);
  const internals = parser as unknown as MailParserInternals;
  const createNode = internals.createNode.bind(parser);
  internals.createNode = (node) => {
    const created = createNode(node);
    if (created.isAttachment === false && node.filename) created.isAttachment = true;
    return created;
  };

  const attachments: ParsedAttachment[] = [];
  let text: string | undefined;
  await new Promise<void>((resolve, reject) => {
    parser.on('error', reject);
    parser.on('end', () => resolve());
    parser.on('data', (data: AttachmentStream | MessageText) => {
      if (data.type === 'text') {
        text = data.text;
        return;
      }
      const chunks: Buffer[] = [];
      data.content.on('data', (chunk: Buffer) => chunks.push(chunk));
      data.content.on('error', reject);
      data.content.on('end', () => {
        attachments.push({
          filename: data.filename,
          contentType: data.contentType,
          contentDisposition: data.contentDisposition,
          related: data.related === true,
          contentId: data.contentId,
          content: Buffer.concat(chunks),
        });
        data.release?.();
      });
    });
    parser.end(raw);
  });
  return { headers: parser.headers || new Map(), text, attachments };
}
