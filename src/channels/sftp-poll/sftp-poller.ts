import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type { Inbox } from '../../inbox/inbox.ts';
import { SpoolLimitError } from '../../inbox/spool.ts';
import { sanitizeFileName } from '../../file-names/sanitize-file-name.ts';
import type { Logger } from '../../log/logger.ts';
import { resultFileNames } from '../../results/result-file-names.ts';
import type { Queryable } from '../../store/db.ts';
import { fileNameGlob } from './file-name-glob.ts';
import { findRemoteFile, rememberRemoteFile, settleRemoteFile, type RemoteFileKey } from './remote-files-repo.ts';
import { RemoteSession, type RemoteEntry } from './remote-session.ts';
import { breaksConnection, SftpPollError, type SftpPollErrorCode } from './sftp-poll-errors.ts';
import {
  processedDirOf,
  SftpPollSchema,
  SftpPollTimingSchema,
  type SftpPollConfig,
  type SftpPollConfigInput,
  type SftpPollTiming,
  type SftpPollTimingInput,
} from './sftp-poll-schema.ts';

/** Where a polled file's results go: stored as the file's `reply_to`. */
export interface SftpPollReplyTo {
  channel: 'sftp-poll';
  host: string;
  port: number;
  /** Where the file was taken from. */
  remotePath: string;
  /** The outbound directory configured when the file was taken (the deliverer prefers the current config). */
  outboundDir: string;
}

export interface SftpPollerSettings {
  /** The customer id (the `mappings/<customer>` folder name). */
  customer: string;
  /** `channels.sftpPoll` of the customer (validated here). */
  config: SftpPollConfigInput;
  inbox: Pick<Inbox, 'receive'>;
  /** The ledger's store: what was taken is remembered in `gateway.remote_files`. */
  db: Queryable;
  logger: Logger;
  /** Timeouts and backoff; defaults in SftpPollTimingSchema. */
  timing?: SftpPollTimingInput;
  /** Where secret references named by env are looked up. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** What one pass did. */
export interface PollOutcome {
  /** Remote paths handed to the inbox in this pass. */
  taken: string[];
  /** Matching files not taken yet because they may still be growing (or lack their done-file). */
  waiting: string[];
}

/** Names writers use while a file is still being written (WinSCP, FileZilla, rsync, our own uploads): never taken. */
const IN_PROGRESS = /(^\.|\.(tmp|part|partial|filepart|crdownload)$|~$)/i;

/** The suffixes of our result files (`.result.csv`, `.result.json`, `.997.x12`), from the function that names them. */
const RESULT_SUFFIXES = Object.values(resultFileNames('x')).map((name) => name.slice('x'.length));

/**
 * Never taken, even when outboundDir is another directory (the schema refuses the same one): the schema compares
 * the paths as written and cannot tell that `in` (relative to the login directory) and `/home/acme/in`, or a link
 * on their server, are one directory, nor see a script of the customer's copying results back. Taking our own
 * result would answer it with another result, and that one again, without end; a customer naming an input file
 * like our results is not worth that risk, and its skip is logged.
 */
function isResultName(name: string): boolean {
  return RESULT_SUFFIXES.some((suffix) => name.endsWith(suffix));
}

/** A name as the server listed it is only used if it is one plain path segment (a hostile server could list `../x`). */
function isPlainName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\\\u0000]/.test(name);
}

/** Oldest mtime first; the name breaks ties (SFTP mtimes are whole seconds), so `orders_1` goes before `orders_2`. */
function byAge(a: RemoteEntry, b: RemoteEntry): number {
  return a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/**
 * Polls one customer's own SFTP server: a file is taken only when complete (size and mtime unchanged across two
 * polls and old enough, or its done-file present), streamed into the inbox, remembered in the ledger, then moved
 * to `processedDir` (or deleted). One poller per customer: a slow or unreachable server delays no one else.
 */
export class SftpPoller {
  readonly config: SftpPollConfig;
  private readonly timing: SftpPollTiming;
  private readonly log: Logger;
  private readonly matches: RegExp;
  private session: RemoteSession | undefined;
  /** The last listing's size and mtime of each waiting file, and since when (our clock) it has been so. */
  private readonly observed = new Map<string, { sizeBytes: number; mtimeMs: number; since: number }>();
  /** Names already reported as skipped (not a plain name, a link, one of our result names): logged once, not every poll. */
  private readonly reportedNames = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private closing = false;
  private polling: Promise<unknown> | undefined;
  private failures = 0;

  constructor(private readonly settings: SftpPollerSettings) {
    this.config = SftpPollSchema.parse(settings.config);
    this.timing = SftpPollTimingSchema.parse(settings.timing ?? {});
    this.matches = fileNameGlob(this.config.pattern);
    this.log = settings.logger.child({ customer: settings.customer, channel: 'sftp-poll', host: this.config.host });
  }

  /** Starts polling (the first pass at once); connection failures are logged and retried with backoff, never thrown. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.closing = false;
    this.schedule(0);
  }

  /** Stops polling. A pass under way is cut short: its download is aborted (nothing recorded; taken again later). */
  async close(): Promise<void> {
    this.running = false;
    this.closing = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.session?.destroy('poller closed');
    await this.polling?.catch(() => undefined);
    this.session = undefined;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const pass = this.poll();
      this.polling = pass;
      pass.then(
        () => {
          this.failures = 0;
          if (this.running) this.schedule(this.config.intervalSeconds * 1000);
        },
        () => {
          this.failures++;
          if (this.running) this.schedule(this.backoffMs());
        },
      );
    }, delayMs);
  }

  /**
   * Doubling from the initial wait up to the cap, with jitter so pollers of one unreachable host do not reconnect in
   * step. Not bounded by the poll interval: a blip is retried within a second, a host that stays down (or keeps
   * presenting the wrong key) is tried, and logged, ever less often.
   */
  private backoffMs(): number {
    const { backoffInitialMs, backoffMaxMs } = this.timing;
    return Math.min(backoffMaxMs, backoffInitialMs * 2 ** Math.min(this.failures - 1, 30)) * (0.75 + Math.random() * 0.25);
  }

  /**
   * One pass over the inbound directory. A connection failure (refused host key, login, timeout, lost connection)
   * is logged, drops the connection and is thrown; one file's failure is logged and the pass goes on.
   */
  async poll(): Promise<PollOutcome> {
    const outcome: PollOutcome = { taken: [], waiting: [] };
    try {
      const session = await this.connected();
      // Oldest first: files of one order must reach the engine in the order the customer wrote them, and a listing
      // comes in the server's directory order (hash order on ext4), not that.
      const entries = (await session.list(this.config.inboundDir)).sort(byAge);
      const names = new Set(entries.map((entry) => entry.name));
      const present = new Set<string>();
      for (const entry of entries) {
        if (this.closing) throw new SftpPollError('SFTP_POLL_CLOSED');
        if (!isPlainName(entry.name)) {
          this.reportSkipped(entry.name, 'SFTP_POLL_REMOTE_NAME_REFUSED', 'listed name is not a plain file name: ignored');
          continue;
        }
        // Folders (processed/ among them) and other special files are no one's upload: skipped without a word.
        if ((entry.type !== '-' && entry.type !== 'l') || IN_PROGRESS.test(entry.name) || !this.matches.test(entry.name)) continue;
        if (this.config.doneFileSuffix && entry.name.endsWith(this.config.doneFileSuffix)) continue;
        if (entry.type === 'l') {
          // Looks like an upload, so someone may wait for it: say why it is not taken.
          this.reportSkipped(entry.name, 'SFTP_POLL_LINK_SKIPPED', 'listed name is a symbolic link: not taken (links are never followed); upload the file itself');
          continue;
        }
        if (isResultName(entry.name)) {
          this.reportSkipped(entry.name, 'SFTP_POLL_RESULT_NAME_SKIPPED', 'listed name ends like our result files: not taken (a result taken as input would be answered with results without end)');
          continue;
        }
        present.add(entry.name);
        const remotePath = posix.join(this.config.inboundDir, entry.name);
        const key: RemoteFileKey = { customer: this.settings.customer, remotePath, sizeBytes: entry.sizeBytes, mtimeMs: entry.mtimeMs };
        const known = await findRemoteFile(this.settings.db, key);
        if (known?.state === 'TAKEN') {
          // Taken before (by this or an earlier process) but still here: only the cleanup is left to do.
          await this.cleanUp(session, key, entry, known.file_id ?? undefined, names);
          continue;
        }
        if (known?.state === 'REFUSED') continue;
        // MOVED or DELETED, yet listed again: a new upload under the same name, size and mtime (WinSCP, `put -p` and
        // rsync -t keep the sender's mtime), so it is taken like any other; the inbox calls same bytes a DUPLICATE.
        if (!this.isComplete(entry, names)) {
          outcome.waiting.push(remotePath);
          continue;
        }
        if (await this.take(session, key, entry, names)) outcome.taken.push(remotePath);
      }
      for (const name of this.observed.keys()) if (!present.has(name)) this.observed.delete(name);
      return outcome;
    } catch (error) {
      if (breaksConnection(error) || this.session?.broken) {
        this.session?.destroy('pass failed');
        this.session = undefined;
      }
      this.logPassFailure(error);
      throw error;
    }
  }

  private reportSkipped(name: string, code: SftpPollErrorCode, message: string): void {
    if (this.reportedNames.has(name)) return;
    this.reportedNames.add(name);
    this.log.warn({ code, remoteName: name, remoteDir: this.config.inboundDir }, message);
  }

  private logPassFailure(error: unknown): void {
    const code = error instanceof SftpPollError ? error.code : undefined;
    // Closing cuts the pass short on purpose: not a failure worth a warning.
    if (code === 'SFTP_POLL_CLOSED' || this.closing) return;
    const fields = { code, err: error, remoteDir: this.config.inboundDir, port: this.config.port, failures: this.failures + 1 };
    if (code === 'SFTP_POLL_HOST_KEY_MISMATCH') this.log.error(fields, `sftp-poll refused the server: ${(error as Error).message}`);
    else this.log.warn(fields, `sftp-poll pass failed: ${(error as Error).message}`);
  }

  private async connected(): Promise<RemoteSession> {
    if (this.session && !this.session.broken) return this.session;
    this.session?.destroy('reconnecting');
    this.session = undefined;
    if (this.closing) throw new SftpPollError('SFTP_POLL_CLOSED');
    const session = await RemoteSession.open({ config: this.config, timing: this.timing, logger: this.log, ...(this.settings.env ? { env: this.settings.env } : {}) });
    if (this.closing) {
      session.destroy('poller closed');
      throw new SftpPollError('SFTP_POLL_CLOSED');
    }
    this.session = session;
    this.log.info({ port: this.config.port, username: this.config.username }, 'sftp-poll connected');
    return session;
  }

  /**
   * Done-file mode: complete once `<name><suffix>` is listed. Otherwise: the same size and mtime in two passes, and
   * old enough. Age counts from the remote mtime or from when we first saw the file so, whichever is longer: a
   * server clock running ahead of ours must not hold files back forever, and stability across polls still guards
   * one running behind.
   */
  private isComplete(entry: RemoteEntry, names: Set<string>): boolean {
    if (this.config.doneFileSuffix) return names.has(entry.name + this.config.doneFileSuffix);
    const now = Date.now();
    const before = this.observed.get(entry.name);
    if (!before || before.sizeBytes !== entry.sizeBytes || before.mtimeMs !== entry.mtimeMs) {
      this.observed.set(entry.name, { sizeBytes: entry.sizeBytes, mtimeMs: entry.mtimeMs, since: now });
      return false;
    }
    const ageMs = Math.max(now - entry.mtimeMs, now - before.since);
    return ageMs >= this.config.minAgeSeconds * 1000;
  }

  /** Downloads into the inbox, remembers, cleans up. `false` when the file was not taken (logged). */
  private async take(session: RemoteSession, key: RemoteFileKey, entry: RemoteEntry, names: Set<string>): Promise<boolean> {
    const fileLog = this.log.child({ remotePath: key.remotePath });
    let receipt;
    try {
      receipt = await this.settings.inbox.receive({
        customer: this.settings.customer,
        channel: 'sftp-poll',
        // The inbox reduces it to a base name again; ours is already one (isPlainName), this only normalises it.
        originalName: sanitizeFileName(entry.name),
        sender: `sftp://${this.config.username}@${this.config.host}:${this.config.port}`,
        replyTo: {
          channel: 'sftp-poll',
          host: this.config.host,
          port: this.config.port,
          remotePath: key.remotePath,
          outboundDir: this.config.outboundDir,
        } satisfies SftpPollReplyTo,
        content: session.download(key.remotePath, entry.sizeBytes),
      });
    } catch (error) {
      this.observed.delete(entry.name);
      if (breaksConnection(error) || session.broken) throw error;
      if ((error as SftpPollError).code === 'SFTP_POLL_FILE_CHANGED') {
        fileLog.info({ code: 'SFTP_POLL_FILE_CHANGED', sizeBytes: entry.sizeBytes }, 'remote file changed during the download: taken again once stable');
        return false;
      }
      if (error instanceof SpoolLimitError) {
        // Only the size is a verdict on the file itself: the same bytes would be refused again.
        await rememberRemoteFile(this.settings.db, key, { state: 'REFUSED', error: error.message });
        fileLog.error({ code: 'SFTP_POLL_FILE_REFUSED', err: error, sizeBytes: entry.sizeBytes }, `remote file refused: ${error.message}; left on the server, not retried until it changes`);
        await this.reportRefusal(session, entry.name, error.message);
        return false;
      }
      // Gone since the listing, not readable yet, our disk full: none of it says anything about the file, which
      // must be taken once the cause is gone (a chmod or a freed disk changes neither its size nor its mtime).
      fileLog.warn({ code: 'SFTP_POLL_DOWNLOAD_FAILED', err: error, sizeBytes: entry.sizeBytes }, `remote file not taken: ${(error as Error).message}; tried again once stable`);
      return false;
    }
    this.observed.delete(entry.name);
    await rememberRemoteFile(this.settings.db, key, { state: 'TAKEN', fileId: receipt.fileId, sha256: receipt.sha256 });
    fileLog.info({ fileId: receipt.fileId, sizeBytes: receipt.sizeBytes, sha256: receipt.sha256, state: receipt.state }, 'remote file taken');
    await this.cleanUp(session, key, entry, receipt.fileId, names);
    return true;
  }

  /**
   * A file refused before it reached the ledger gets no result file, so the customer is told in outboundDir as the
   * drop folder tells in failed/: `<name>.error.txt` with the reason. Not delivered is logged, never thrown: the
   * refusal itself is remembered and logged already.
   */
  private async reportRefusal(session: RemoteSession, name: string, reason: string): Promise<void> {
    const remotePath = posix.join(this.config.outboundDir, `${name}.error.txt`);
    const dir = await mkdtemp(join(tmpdir(), 'intake-poll-refusal-'));
    try {
      const local = join(dir, 'error.txt');
      await writeFile(local, `${name}: not processed: ${reason}\n`);
      await session.upload(local, remotePath);
      this.log.info({ remotePath }, 'refusal reported in outboundDir');
    } catch (error) {
      if (breaksConnection(error) || session.broken) throw error;
      this.log.warn({ err: error, remotePath }, 'the refusal could not be written to outboundDir');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Moves a taken file to processedDir (or deletes it), and its done-file. A failure is remembered and retried on
   * the next pass that still lists the file; the ledger keeps it from being ingested again meanwhile.
   */
  private async cleanUp(session: RemoteSession, key: RemoteFileKey, entry: RemoteEntry, fileId: string | undefined, names: Set<string>): Promise<void> {
    const fileLog = this.log.child({ remotePath: key.remotePath, ...(fileId ? { fileId } : {}) });
    try {
      // The done-file goes first: left behind, it would mark the next upload under this name complete at once.
      const doneFile = this.config.doneFileSuffix ? entry.name + this.config.doneFileSuffix : undefined;
      if (doneFile && names.has(doneFile)) await session.delete(posix.join(this.config.inboundDir, doneFile));
      if (this.config.afterDownload === 'delete') {
        await session.delete(key.remotePath);
        await settleRemoteFile(this.settings.db, key, { state: 'DELETED' });
        fileLog.info('remote file deleted after download');
      } else {
        const dir = processedDirOf(this.config);
        await session.mkdirs(dir);
        // Never overwrite an earlier file of the same name in processed/: it may be the only copy the customer has.
        let target = posix.join(dir, entry.name);
        if (await session.exists(target)) target = posix.join(dir, `${fileId ?? Date.now().toString(36)}-${entry.name}`);
        await session.rename(key.remotePath, target);
        await settleRemoteFile(this.settings.db, key, { state: 'MOVED', processedPath: target });
        fileLog.info({ processedPath: target }, 'remote file moved to processed');
      }
    } catch (error) {
      if (breaksConnection(error) || session.broken) throw error;
      const message = (error as Error).message;
      await settleRemoteFile(this.settings.db, key, { error: message });
      fileLog.warn({ code: 'SFTP_POLL_CLEANUP_FAILED', err: error, afterDownload: this.config.afterDownload }, `remote file taken but not ${this.config.afterDownload === 'move' ? 'moved' : 'deleted'}: retried next poll, never re-ingested`);
    }
  }
}

/**
 * One poller per customer whose customer.yaml has `channels.sftpPoll`. A bad config fails here, at start-up, with
 * the customer's name, rather than on the first poll.
 */
export function createSftpPollers(
  customers: ReadonlyArray<{ id: string; channels?: Record<string, unknown> | undefined }>,
  deps: Omit<SftpPollerSettings, 'customer' | 'config'>,
): SftpPoller[] {
  return customers
    .filter((customer) => customer.channels?.sftpPoll !== undefined)
    .map((customer) => {
      const parsed = SftpPollSchema.safeParse(customer.channels!.sftpPoll);
      if (!parsed.success) throw new Error(`customer ${customer.id}: channels.sftpPoll is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      return new SftpPoller({ ...deps, customer: customer.id, config: parsed.data });
    });
}
