import { mkdirSync } from 'node:fs';
import type { FileRow } from '../../ledger/files-repo.ts';
import type { ResultDeliverer, ResultFile } from '../../pipeline/deliver-stage.ts';
import { writeResultFiles } from '../../results/result-file-names.ts';
import { localResultFolder } from '../local-results.ts';
import { diskPathInside } from './jail-path.ts';
import type { SftpReplyTo } from './sftp-jail-session.ts';
import { SftpServerError } from './sftp-server-errors.ts';
import { sftpOutboundDir } from './sftp-server.ts';

/**
 * Results of a file that came through our SFTP server go to the customer's `/outbound`. Each is written under a
 * leading-dot temporary name (the server never shows or serves dot names), fsynced, then put in place, so a
 * customer listing the folder never sees half a file, and a file once listed survives a crash. Re-delivery (a
 * retried job) rewrites the same names: idempotent. Another file's result under the same name is never replaced:
 * see writeResultFiles.
 */
export function sftpServerDeliverer(settings: { dataDir: string }): ResultDeliverer {
  return {
    async deliver(file: FileRow, results: ResultFile[]): Promise<string[]> {
      const replyTo = file.reply_to as Partial<SftpReplyTo> | null;
      if (replyTo?.channel !== 'sftp') {
        throw new SftpServerError('SFTP_DELIVERY_NO_REPLY_ADDRESS', `file ${file.id} has no SFTP reply address; its results stay where they are`);
      }
      // The customer of record, not the reply address, picks the folder: a reply address is data from the past.
      const outbound = sftpOutboundDir(settings.dataDir, file.customer);
      mkdirSync(outbound, { recursive: true });
      return writeResultFiles(results, file.id, localResultFolder((name) => diskPathInside(outbound, name)));
    },
  };
}
