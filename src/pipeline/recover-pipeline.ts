import type { Db } from '../store/db.ts';
import { activateOrders } from './parse-stage.ts';
import type { PipelineQueues } from './queues.ts';

/**
 * Start-up: whatever the ledger says is in flight gets its job again. Redis may have lost jobs (a restart
 * without AOF, a flush); job ids make every re-enqueue of a job Redis still has a no-op.
 */
export async function recoverPipeline(db: Db, queues: Pick<PipelineQueues, 'enqueueParse' | 'enqueueSubmits' | 'enqueueFinalize' | 'enqueueDeliver' | 'retryFailed'>): Promise<{ submits: number; finalizes: number; deliveries: number }> {
  // A job that failed for good keeps its id, so enqueuing it again would be a no-op: run the failed ones again.
  await queues.retryFailed();
  // A head left WAITING by a process that died between removing or finishing a document and freeing the next one
  // of its order (nothing else would ever free it): freed and queued now (queued again below with the others, a
  // no-op by job id).
  const { rows: waiting } = await db.query<{ order_key: string }>(`SELECT DISTINCT order_key FROM gateway.documents WHERE state = 'WAITING'`);
  await activateOrders({ db, enqueueSubmits: (jobs) => queues.enqueueSubmits(jobs) }, waiting.map((row) => row.order_key));
  const { rows: queued } = await db.query<{ file_id: string; idx: number }>(`SELECT file_id, idx FROM gateway.documents WHERE state = 'QUEUED'`);
  await queues.enqueueSubmits(queued.map((row) => ({ fileId: row.file_id, idx: row.idx })));
  const { rows: parsing } = await db.query<{ id: string }>(`SELECT id FROM gateway.files WHERE state = 'PARSING'`);
  for (const row of parsing) await queues.enqueueParse({ fileId: row.id });
  const { rows: finishing } = await db.query<{ id: string }>(
    `SELECT f.id FROM gateway.files f
      WHERE f.state = 'FINALIZING'
         OR (f.state = 'DUPLICATE' AND f.finished_at IS NULL)
         OR (f.state = 'SUBMITTING' AND NOT EXISTS (SELECT 1 FROM gateway.documents d WHERE d.file_id = f.id AND d.state IN ('WAITING', 'QUEUED')))`,
  );
  for (const row of finishing) await queues.enqueueFinalize({ fileId: row.id });
  const { rows: undelivered } = await db.query<{ file_id: string; channel: string }>(`SELECT file_id, channel FROM gateway.deliveries WHERE state <> 'DELIVERED'`);
  for (const row of undelivered) await queues.enqueueDeliver({ fileId: row.file_id, channel: row.channel });
  return { submits: queued.length, finalizes: finishing.length, deliveries: undelivered.length };
}
