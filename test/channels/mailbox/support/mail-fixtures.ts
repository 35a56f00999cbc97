import { randomBytes } from 'node:crypto';

export interface FixtureAttachment {
  /** As it goes on the wire: a quoted `filename="..."`, or an RFC 2231 `filename*=` value when `encoded`. */
  filename?: string;
  encoded?: boolean;
  content: string | Buffer;
  contentType?: string;
  /** An image the HTML body shows (a signature logo): sent inline with this Content-ID, as mail clients do. */
  contentId?: string;
}

/** A raw RFC 5322 message, written out by hand so tests control every byte (odd names, broken structure). */
export function buildMessage(options: { from: string; subject: string; messageId?: string; body?: string; attachments?: FixtureAttachment[]; headers?: Record<string, string> }): string {
  const messageId = options.messageId ?? `<${randomBytes(8).toString('hex')}@customer.test>`;
  const boundary = `b-${randomBytes(6).toString('hex')}`;
  const head = [
    `From: Customer <${options.from}>`,
    'To: intake@gateway.test',
    `Subject: ${options.subject}`,
    `Message-ID: ${messageId}`,
    'Date: Mon, 06 Jan 2025 10:00:00 +0000',
    'MIME-Version: 1.0',
    ...Object.entries(options.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
  ];
  const attachments = options.attachments ?? [];
  if (attachments.length === 0) return [...head, 'Content-Type: text/plain; charset=utf-8', '', options.body ?? 'Hello', ''].join('\r\n');
  const parts = [
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    options.body ?? 'Please find the file attached.',
    ...attachments.flatMap((a) => [
      `--${boundary}`,
      `Content-Type: ${a.contentType ?? 'text/csv'}`,
      'Content-Transfer-Encoding: base64',
      ...(a.contentId
        ? [`Content-ID: ${a.contentId}`, `Content-Disposition: inline; filename="${a.filename ?? 'image.png'}"`]
        : [a.filename === undefined ? 'Content-Disposition: attachment' : a.encoded ? `Content-Disposition: attachment; filename*=utf-8''${a.filename}` : `Content-Disposition: attachment; filename="${a.filename}"`]),
      '',
      Buffer.from(a.content).toString('base64').replace(/.{76}/g, '$&\r\n'),
    ]),
    `--${boundary}--`,
    '',
  ];
  return [...head, `Content-Type: multipart/mixed; boundary="${boundary}"`, '', ...parts].join('\r\n');
}

/** A mail bomb: one multipart with `count` tiny parts. */
export function manyPartsMessage(from: string, count: number): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push('--bomb', 'Content-Type: text/plain', '', `part ${i}`);
  return [`From: <${from}>`, 'Subject: many parts', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="bomb"', '', ...parts, '--bomb--', ''].join('\r\n');
}

/** Multiparts nested `depth` levels deep. */
export function deeplyNestedMessage(from: string, depth: number): string {
  const lines = [`From: <${from}>`, 'Subject: deep', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="d0"', ''];
  for (let i = 1; i < depth; i++) lines.push(`--d${i - 1}`, `Content-Type: multipart/mixed; boundary="d${i}"`, '');
  lines.push(`--d${depth - 1}`, 'Content-Type: text/csv', 'Content-Disposition: attachment; filename="deep.csv"', '', 'a,b');
  for (let i = depth - 1; i >= 0; i--) lines.push(`--d${i}--`);
  return lines.join('\r\n') + '\r\n';
}
