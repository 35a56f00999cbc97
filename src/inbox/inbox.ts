import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { Logger } from '../log/logger.ts';
import { getFile, recordReceivedFile, setFileState, type FileRow } from '../ledger/files-repo.ts';
import type { Db } from '../store/db.ts';
import { sanitizeFileName } from '../file-names/sanitize-file-name.ts';
import { scanSpool, spoolFile, spoolPaths } from './spool.ts';

/**
 * A customer id: the name of its folder under the mappings, the spool and the drop folder, so it must never be a
 * path of its own ("../x", "a/b"). Every place that builds a path from a customer name someone typed checks this.
 */
export function isCustomerId(name: string): boolean {
  return /^[a-z0-9][a-z0-9_-]*$/.test(name);
}

/** How a file reached us; `replyTo` says where its result goes back (the channel's own shape). */
export interface IncomingFile {
  customer: string;
  channel: string;
  originalName: string;
  sender?: string;
  replyTo?: unknown;
  content: AsyncIterable<Uint8Array> | Uint8Array;
  /** Set by `intake files replay`: the file this one re-runs (never a duplicate of it). */
  replayOf?: string;
}

export interface Receipt {
  fileId: string;
  state: 'QUEUED' | 'DUPLICATE';
  duplicateOf?: string;
  sha256: string;
  sizeBytes: number;
}

export interface InboxSettings {
  db: Db;
  spoolDir: string;
  queues: { enqueueParse(job: { fileId: string }): Promise<void>; enqueueFinalize(job: { fileId: string }): Promise<void> };
  logger: Logger;
  /** A file with the same bytes from the same customer within this many hours is a DUPLICATE; 0 turns it off. */
  duplicateWindowHours: number;
  maxFileBytes: number;
}

/** Sortable, readable, and free of ":" (BullMQ job ids are built from it). */
export function newFileId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(5).toString('hex')}`;
}

/**
 * How long `receive` waits for the queue before it answers without it. Redis away, BullMQ's command waits for the
 * reconnect (ioredis queues it), and senders were kept waiting until they gave up, told nothing, although the file
 * was ours and was applied once Redis came back: a sender who then sent it again had it applied twice.
 */
const QUEUE_WAIT_MS = 5_000;

/**
 * The one entry point of every channel. A file is on disk (fsynced) and in the ledger before `receive` resolves:
 * only then may a channel tell the sender "received". Its next job is queued by then too, or, with Redis away, as
 * soon as Redis answers again (a file left QUEUED is also queued again by start-up and by the recovery after
 * Redis came back empty).
 */
export class Inbox {
  constructor(private readonly settings: InboxSettings) {}

  async receive(file: IncomingFile): Promise<Receipt> {
    const { db, spoolDir, logger } = this.settings;
    if (!isCustomerId(file.customer)) throw new Error(`bad customer id ${JSON.stringify(file.customer)}`);
    const meta = await spoolFile(
      spoolDir,
      {
        fileId: newFileId(),
        customer: file.customer,
        channel: file.channel,
        originalName: sanitizeFileName(file.originalName),
        sender: file.sender ?? '',
        ...(file.replyTo === undefined ? {} : { replyTo: file.replyTo }),
        receivedAt: new Date().toISOString(),
      },
      file.content,
      this.settings.maxFileBytes,
    );
    const paths = spoolPaths(spoolDir, meta.customer, meta.fileId);
    let row: FileRow;
    try {
      row = await recordReceivedFile(db, meta, paths.data, {
        duplicateWindowHours: this.settings.duplicateWindowHours,
        queued: true,
        ...(file.replayOf ? { replayOf: file.replayOf } : {}),
      });
    } catch (error) {
      // The sender is told the file was not received (the store is down, say): it must not stay in the spool,
      // where start-up reconciliation would register it and apply a file its sender was told to send again.
      // The meta first: it is what makes the pair an entry.
      await rm(paths.meta, { force: true });
      await rm(paths.data, { force: true });
      throw error;
    }
    await this.queueNextOrLater(row);
    logger.info(
      { fileId: row.id, customer: row.customer, channel: row.channel, file: row.original_name, sizeBytes: row.size_bytes, sha256: row.sha256, duplicateOf: row.duplicate_of ?? undefined },
      row.state === 'DUPLICATE' ? 'file received: duplicate' : 'file received',
    );
    return {
      fileId: row.id,
      state: row.state === 'DUPLICATE' ? 'DUPLICATE' : 'QUEUED',
      ...(row.duplicate_of ? { duplicateOf: row.duplicate_of } : {}),
      sha256: row.sha256,
      sizeBytes: row.size_bytes,
    };
  }

  private async queueNextOrLater(row: FileRow): Promise<void> {
    const { logger } = this.settings;
    const queued = this.queueNext(row).then(
      () => true,
      (error: unknown) => {
        // Recorded and spooled: start-up (or the recovery after Redis came back empty) queues it again.
        logger.error({ err: error, fileId: row.id, customer: row.customer }, 'file received, but its job could not be queued: the next start queues it');
        return true;
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), QUEUE_WAIT_MS)));
    const inTime = await Promise.race([queued, waited]);
    clearTimeout(timer);
    if (!inTime) {
      logger.warn({ fileId: row.id, customer: row.customer }, 'file received while the queue (Redis) does not answer: it is queued when Redis is back');
      void queued.then(() => logger.info({ fileId: row.id, customer: row.customer }, 'file queued: Redis answers again'));
    }
  }

  /** A duplicate goes straight to its result; any other file to parsing. */
  private async queueNext(row: FileRow): Promise<void> {
    if (row.state === 'DUPLICATE') {
      await this.settings.queues.enqueueFinalize({ fileId: row.id });
    } else if (row.state === 'QUEUED') {
      await this.settings.queues.enqueueParse({ fileId: row.id });
    } else if (row.state === 'RECEIVED') {
      // QUEUED before the job exists: a worker may take the job the moment it is added. Should the enqueue fail,
      // start-up reconciliation queues every QUEUED file again.
      await setFileState(this.settings.db, row.id, 'QUEUED', {}, ['RECEIVED']);
      await this.settings.queues.enqueueParse({ fileId: row.id });
    }
  }

  /**
   * The spool is the source of truth for received files: the embedded store does not fsync, so after a crash
   * the ledger may miss files the spool has. Start-up re-registers them, queues files received but never
   * queued, re-queues the parse of files that were queued (a lost Redis forgets jobs; ids make it a no-op
   * otherwise), and removes the temporary files of interrupted uploads (not those of uploads other processes on
   * the same spool are still writing). Whatever else is in the spool is logged and left alone.
   */
  async reconcile(): Promise<{ reRegistered: number; requeued: number }> {
    const { db, spoolDir, logger } = this.settings;
    let reRegistered = 0;
    let requeued = 0;
    const scan = await scanSpool(spoolDir);
    for (const { path, reason } of scan.unreadable) logger.error({ path, reason }, 'not a spool entry: left where it is; move it out of the spool');
    for (const meta of scan.entries) {
      let row = await getFile(db, meta.fileId);
      if (!row) {
        row = await recordReceivedFile(db, meta, spoolPaths(spoolDir, meta.customer, meta.fileId).data, { duplicateWindowHours: this.settings.duplicateWindowHours });
        reRegistered++;
        logger.warn({ fileId: meta.fileId, customer: meta.customer }, 'spooled file missing from the ledger: re-registered');
      }
      if (row.state === 'RECEIVED' || row.state === 'QUEUED') {
        await this.queueNext(row);
        requeued++;
      } else if (row.state === 'DUPLICATE' && row.finished_at === null) {
        await this.queueNext(row);
        requeued++;
      }
    }
    return { reRegistered, requeued };
  }
}
