import type { Db } from '../store/db.ts';
import { replayFile, type ReplayResult } from './replay.ts';
import type { FileMapper } from './parse-stage.ts';
import type { Inbox } from '../inbox/inbox.ts';

export interface RegressionReport {
  customer: string;
  files: (ReplayResult & { name: string; receivedAt: string })[];
  /** Files whose documents would change (or that the mapping would now refuse). */
  changed: number;
}

/**
 * `intake mapping regress`: the customer's last files, archived in the spool, re-mapped with the mappings on disk
 * and compared with what was sent: the safety net before a mapping change goes live. Changes nothing.
 */
export async function regressMapping(deps: { db: Db; inbox: Pick<Inbox, 'receive'>; mapper: FileMapper }, customer: string, last: number): Promise<RegressionReport> {
  const { rows } = await deps.db.query<{ id: string; original_name: string; received_at: Date; error: { code?: string } | null }>(
    `SELECT id, original_name, received_at, error FROM gateway.files
      WHERE customer = $1 AND state IN ('COMPLETED', 'PARTIAL', 'REJECTED', 'FAILED')
      ORDER BY seq DESC LIMIT $2`,
    [customer, last],
  );
  const files: RegressionReport['files'] = [];
  let changed = 0;
  for (const row of rows) {
    const result = await replayFile(deps, row.id, { dryRun: true });
    files.push({ ...result, name: row.original_name, receivedAt: row.received_at.toISOString() });
    // A file refused now for the reason it was refused then (NO_MAPPING, EMPTY_FILE) is no change of the mapping's.
    const refusedAsBefore = result.error !== undefined && result.error.code === row.error?.code;
    if ((result.error && !refusedAsBefore) || (result.differences?.length ?? 0) > 0) changed++;
  }
  return { customer, files, changed };
}
