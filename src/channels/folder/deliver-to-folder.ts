import { rename } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describePlace } from '../../errors/intake-error.ts';
import type { FileRow } from '../../ledger/files-repo.ts';
import type { ResultDeliverer, ResultFile } from '../../pipeline/deliver-stage.ts';
import { writeResultFiles } from '../../results/result-file-names.ts';
import { localResultFolder } from '../local-results.ts';
import { ensureCustomerFolders, writeFailedReason, type FolderReplyTo } from './drop-folder.ts';

/**
 * Results of a drop-folder file go to the customer's `outbound/` (temporary name, fsynced, then renamed, so a
 * reader never sees half a file); a file that ended REJECTED or FAILED is first moved from `processed/` to
 * `failed/`. A result never replaces another file's: see writeResultFiles. Nothing is written while one of the
 * customer's folders is not a real directory (see ensureCustomerFolders): the delivery fails, saying which, and is
 * retried.
 */
export function folderDeliverer(): ResultDeliverer {
  return {
    async deliver(file: FileRow, results: ResultFile[]): Promise<string[]> {
      const replyTo = file.reply_to as FolderReplyTo | null;
      if (!replyTo?.customerDir) throw new Error('the file has no drop-folder reply address');
      ensureCustomerFolders(replyTo.customerDir);
      const outbound = join(replyTo.customerDir, 'outbound');
      if ((file.state === 'REJECTED' || file.state === 'FAILED') && replyTo.consumedPath) {
        const target = join(replyTo.customerDir, 'failed', basename(replyTo.consumedPath));
        await rename(replyTo.consumedPath, target).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error; // moved by an earlier attempt
        });
        // The place first, as the result CSV has it: a message like "the quoted value that starts here…" needs it.
        const reason = file.error ? [describePlace(file.error.place), file.error.message].filter(Boolean).join(': ') : undefined;
        await writeFailedReason(target, reason ?? `the file ended ${file.state}; see ${results.find((r) => r.name.endsWith('.csv'))?.name ?? 'the result'}`);
      }
      // Results last: once a customer sees one, the file it answers is already where it will stay.
      return writeResultFiles(results, file.id, localResultFolder((name) => join(outbound, basename(name))));
    },
  };
}
