import type { FileRow } from '../../ledger/files-repo.ts';
import type { ResultDeliverer, ResultFile } from '../../pipeline/deliver-stage.ts';
import type { SmtpSettingsInput } from './mailbox-settings.ts';
import { ReplyMailer, type EmailReplyTo } from './reply-mailer.ts';

/** Result files a person reads by mail: the CSV and any 997; the JSON twin is for machines (SFTP, HTTP). */
const MAILED_RESULT = /(\.result\.csv|\.997\.x12)$/i;

/**
 * Results of a mailed file go back to its sender as a reply in the same thread (In-Reply-To and References of
 * the original, `Re: <subject>`), with the result CSV and the 997 attached, and the file's state in a sentence.
 * The reply's Message-ID is derived from the file id: if the SMTP server took it but the delivery was not
 * recorded, the retry is the same message, which receiving systems can drop as a duplicate.
 * Results go to automatic senders too (an ERP export with `Precedence: bulk` asks for exactly this); the reply's
 * `Auto-Submitted: auto-replied` (ReplyMailer) keeps compliant responders from answering it.
 */
export function emailReplyDeliverer(smtpOptions: SmtpSettingsInput | ReplyMailer): ResultDeliverer & { close(): void } {
  const mailer = smtpOptions instanceof ReplyMailer ? smtpOptions : new ReplyMailer(smtpOptions);
  return {
    async deliver(file: FileRow, results: ResultFile[]): Promise<void> {
      const replyTo = file.reply_to as EmailReplyTo | null;
      if (!replyTo || replyTo.channel !== 'email' || !replyTo.address) throw new Error('the file has no email reply address');
      await mailer.send({
        to: replyTo.address,
        subject: replyTo.subject,
        ...(replyTo.messageId ? { inReplyTo: replyTo.messageId } : {}),
        references: replyTo.references ?? [],
        text: resultText(file),
        attachments: results.filter((r) => MAILED_RESULT.test(r.name)).map((r) => ({ filename: r.name, path: r.path })),
        messageIdLocalPart: `result-${file.id}`,
      });
    },
    close: () => mailer.close(),
  };
}

/** The file's outcome as one sentence a person acts on, then where the details are. */
export function resultText(file: Pick<FileRow, 'original_name' | 'state' | 'error' | 'document_count' | 'id'>): string {
  const name = `"${file.original_name}"`;
  const documents = file.document_count === null || file.document_count === undefined ? '' : ` (${file.document_count} document${file.document_count === 1 ? '' : 's'})`;
  const sentence = (() => {
    switch (file.state) {
      case 'COMPLETED':
        return `Your file ${name}${documents} was processed: every document was accepted.`;
      case 'PARTIAL':
        return `Your file ${name}${documents} was partly processed: some documents were accepted and some were rejected; the attached result lists each one.`;
      case 'REJECTED':
        return `Your file ${name} was rejected: ${file.error?.message ?? 'none of its documents was accepted'}.`;
      case 'FAILED':
        return `Your file ${name} could not be processed completely because of a problem on our side; we will retry it, and you do not need to send it again.`;
      case 'DUPLICATE':
        return `Your file ${name} has the same content as a file you sent recently, so it was not processed again.`;
      default:
        return `Your file ${name} is ${String(file.state).toLowerCase()}.`;
    }
  })();
  return `${sentence}\n\nReference: ${file.id}\n`;
}
