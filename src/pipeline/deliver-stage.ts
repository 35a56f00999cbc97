import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log/logger.ts';
import { getFile, recordFileEvent, type FileRow } from '../ledger/files-repo.ts';
import type { Db } from '../store/db.ts';
import { resultDir } from './finalize-stage.ts';

/** A finished file's result files on our disk. */
export interface ResultFile {
  name: string;
  path: string;
}

/** How results leave through one channel (the way the file came). */
export interface ResultDeliverer {
  /** Sends the results; returns the names they were given where the channel names them (see writeResultFiles). */
  deliver(file: FileRow, results: ResultFile[]): Promise<string[] | void>;
}

export interface DeliverStageDeps {
  db: Db;
  resultsDir: string;
  deliverers: Record<string, ResultDeliverer>;
  logger: Logger;
}

/**
 * Sends a file's results back through its channel. A failure is recorded and thrown, so the queue retries with
 * backoff; `intake files show` shows the delivery's state and last error. After the last attempt the delivery is
 * FAILED (not RETRYING: nothing retries it until the gateway restarts, whose recovery tries every undelivered
 * result again), and the operator is told where the results are.
 */
export async function runDeliverJob(deps: DeliverStageDeps, job: { fileId: string; channel: string; lastAttempt?: boolean }): Promise<void> {
  const { db } = deps;
  const file = await getFile(db, job.fileId);
  if (!file) return;
  const { rows } = await db.query<{ state: string }>('SELECT state FROM gateway.deliveries WHERE file_id = $1 AND channel = $2', [job.fileId, job.channel]);
  if (rows[0]?.state === 'DELIVERED') return;
  const log = deps.logger.child({ fileId: file.id, customer: file.customer, channel: job.channel });
  const deliverer = deps.deliverers[job.channel];
  const dir = resultDir(deps.resultsDir, file.id);
  let results: ResultFile[] = [];
  let delivered: string[] = [];
  try {
    // Read inside the try: results gone from the disk are a failed delivery with its reason, like any other.
    results = readdirSync(dir)
      .filter((name) => !name.endsWith('.tmp'))
      .map((name) => ({ name, path: join(dir, name) }));
    if (!deliverer) throw new Error(`no delivery for channel "${job.channel}"; the results stay in ${dir}`);
    delivered = (await deliverer.deliver(file, results)) ?? results.map((r) => r.name);
  } catch (error) {
    const message = (error as Error).message;
    const state = job.lastAttempt ? 'FAILED' : 'RETRYING';
    await db.query(
      `UPDATE gateway.deliveries SET state = $4, attempts = attempts + 1, last_error = $3, updated_at = now() WHERE file_id = $1 AND channel = $2`,
      [job.fileId, job.channel, message, state],
    );
    if (state === 'FAILED') log.error({ err: error, results: dir }, 'result delivery failed: no more attempts; a restart of the gateway tries again');
    else log.warn({ err: error }, 'result delivery failed: will retry');
    throw error;
  }
  // One transaction: a reader (or a crash) between the two would see a delivery DELIVERED without its event, and a
  // retry returns early on a delivered file, so the event would be missing for good.
  await db.transaction(async (tx) => {
    await tx.query(
      `UPDATE gateway.deliveries SET state = 'DELIVERED', attempts = attempts + 1, last_error = NULL, updated_at = now() WHERE file_id = $1 AND channel = $2`,
      [job.fileId, job.channel],
    );
    await recordFileEvent(tx, file.id, 'DELIVERED', { channel: job.channel, results: delivered });
  });
  log.info({ results: delivered }, 'results delivered');
}
