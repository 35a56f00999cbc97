import { posix } from 'node:path';
import type { FileRow } from '../../ledger/files-repo.ts';
import type { Logger } from '../../log/logger.ts';
import type { ResultDeliverer, ResultFile } from '../../pipeline/deliver-stage.ts';
import { writeResultFiles } from '../../results/result-file-names.ts';
import { RemoteSession } from './remote-session.ts';
import { SftpPollError } from './sftp-poll-errors.ts';
import { SftpPollSchema, SftpPollTimingSchema, type SftpPollConfigInput, type SftpPollTimingInput } from './sftp-poll-schema.ts';
import type { SftpPollReplyTo } from './sftp-poller.ts';

export interface SftpPollDelivererSettings {
  /** The customer's current `channels.sftpPoll` (credentials and outboundDir may have changed since the file came). */
  configFor(customer: string): SftpPollConfigInput | undefined;
  logger: Logger;
  timing?: SftpPollTimingInput;
  env?: NodeJS.ProcessEnv;
}

/**
 * Results of a polled file go back to the customer's own server, into its outbound directory: each under a
 * temporary dot-name first, then renamed into place, so the customer's own poller never picks up half a file.
 * Another file's result under the same name is never replaced (see writeResultFiles): a name that exists is
 * compared with our bytes first, so only a retried delivery of this same file rewrites it.
 * One connection per delivery: deliveries are rare next to polls, and a fresh connection has no state to go stale.
 * A failure throws; the deliver stage records it and retries with backoff.
 */
export function sftpPollDeliverer(settings: SftpPollDelivererSettings): ResultDeliverer {
  const timing = SftpPollTimingSchema.parse(settings.timing ?? {});
  return {
    async deliver(file: FileRow, results: ResultFile[]): Promise<string[]> {
      const replyTo = file.reply_to as SftpPollReplyTo | null;
      const input = settings.configFor(file.customer);
      if (!input) throw new SftpPollError('SFTP_POLL_UPLOAD_FAILED', `customer ${file.customer} has no channels.sftpPoll: the results stay on our disk`);
      const config = SftpPollSchema.parse(input);
      const outboundDir = config.outboundDir ?? replyTo?.outboundDir;
      const log = settings.logger.child({ fileId: file.id, customer: file.customer, channel: 'sftp-poll', host: config.host, remoteDir: outboundDir });
      const session = await RemoteSession.open({ config, timing, logger: log, ...(settings.env ? { env: settings.env } : {}) });
      try {
        await session.mkdirs(outboundDir);
        // Our own names, but reduced to one segment all the same: nothing may land outside outboundDir.
        const remotePathOf = (name: string) => posix.join(outboundDir, posix.basename(name));
        const names = await writeResultFiles(results, file.id, {
          holdsOtherBytes: (name, result) => session.holdsOtherBytes(remotePathOf(name), result.path),
          create: (name, result) => session.uploadNew(result.path, remotePathOf(name)),
          replace: (name, result) => session.upload(result.path, remotePathOf(name)),
        });
        for (const name of names) log.info({ remotePath: remotePathOf(name) }, 'result uploaded');
        return names;
      } catch (error) {
        if (error instanceof SftpPollError) throw error;
        // Preparing outboundDir fails as much as an upload does, and the operator needs the code and the place.
        throw new SftpPollError('SFTP_POLL_UPLOAD_FAILED', `results of file ${file.id} could not be written to ${outboundDir} on ${config.host}:${config.port}: ${(error as Error).message}`, { cause: error });
      } finally {
        await session.end();
      }
    },
  };
}
