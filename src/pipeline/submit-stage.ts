import type { Logger } from '../log/logger.ts';
import { activateHeads, countAttempt, finishDocument, getDocument, hasPendingDocuments } from '../ledger/documents-repo.ts';
import { getFile } from '../ledger/files-repo.ts';
import type { Db } from '../store/db.ts';
import type { Document } from '../documents/document.ts';
import type { EngineClient } from '../engine-client/engine-client.ts';
import type { SubmitOutcome } from '../engine-client/submit-outcome.ts';
import type { SubmitJob } from './jobs.ts';

/** What the submit stage needs of the engine client. */
export type DocumentSubmitter = Pick<EngineClient, 'submitDocument'>;

export interface SubmitStageDeps {
  db: Db;
  submitter: DocumentSubmitter;
  enqueueSubmits(jobs: SubmitJob[]): Promise<void>;
  enqueueFinalize(job: { fileId: string }): Promise<void>;
  logger: Logger;
  /** Attempts before a document is FAILED (replayable). */
  maxAttempts: number;
  retryDelayMs(attempt: number, outcome: Extract<SubmitOutcome, { kind: 'retry' }>): number;
}

/**
 * One document to the engine. The Idempotency-Key (file id + index) makes a retry after a crash or a timeout
 * safe: the engine answers a repeated key with its first response instead of applying twice.
 * `defer(ms)` puts the job back for later (a retry) and does not return.
 */
export async function runSubmitJob(deps: SubmitStageDeps, job: SubmitJob, defer: (ms: number) => Promise<never>): Promise<void> {
  const { db, logger } = deps;
  const doc = await getDocument(db, job.fileId, job.idx);
  if (!doc) return;
  if (doc.state !== 'QUEUED') {
    // Already final: a re-run of a job whose run died (SIGKILL, lost lock) after recording the outcome, maybe
    // before freeing the order's next document or finalizing the file. Both steps are idempotent: do them again.
    if (doc.state !== 'WAITING') await afterDocumentFinished(deps, job.fileId, doc.order_key);
    return;
  }
  const key = `${job.fileId}-${job.idx}`;
  const attempt = await countAttempt(db, job.fileId, job.idx);
  const log = logger.child({ fileId: job.fileId, documentIndex: job.idx, correlationId: key, attempt });
  const outcome = await deps.submitter.submitDocument(doc.payload as Document, { correlationId: key, idempotencyKey: key });
  if (outcome.kind === 'retry') {
    if (attempt < deps.maxAttempts) {
      const delay = deps.retryDelayMs(attempt, outcome);
      log.warn({ reason: outcome.reason, status: outcome.status, delayMs: delay, message: outcome.message }, 'engine not available: will retry');
      return defer(delay);
    }
    log.error({ reason: outcome.reason, status: outcome.status, message: outcome.message }, 'document failed: retries exhausted');
    await finishDocument(db, job.fileId, job.idx, {
      state: 'FAILED',
      ...(outcome.status ? { engineStatus: outcome.status } : {}),
      error: [{ code: 'ENGINE_UNAVAILABLE', message: `the engine did not accept the document after ${attempt} attempts (${outcome.reason}: ${outcome.message})`, place: {} }],
    });
  } else if (outcome.kind === 'accepted') {
    log.info({ status: outcome.status }, 'document accepted');
    await finishDocument(db, job.fileId, job.idx, { state: 'ACCEPTED', engineStatus: outcome.status, response: outcome.response });
  } else {
    log.info({ status: outcome.status, code: outcome.problem.code }, 'document rejected by the engine');
    await finishDocument(db, job.fileId, job.idx, { state: 'REJECTED', engineStatus: outcome.status, problem: outcome.problem });
  }
  await afterDocumentFinished(deps, job.fileId, doc.order_key);
}

/** A finished document frees the next one for its order, and may complete its file. */
export async function afterDocumentFinished(
  deps: Pick<SubmitStageDeps, 'db' | 'enqueueSubmits' | 'enqueueFinalize'>,
  fileId: string,
  orderKey: string,
): Promise<void> {
  const next = await activateHeads(deps.db, [orderKey]);
  await deps.enqueueSubmits(next);
  await finalizeWhenDone(deps, fileId);
}

export async function finalizeWhenDone(deps: Pick<SubmitStageDeps, 'db' | 'enqueueFinalize'>, fileId: string): Promise<void> {
  const file = await getFile(deps.db, fileId);
  if (file?.state !== 'SUBMITTING') return;
  if (!(await hasPendingDocuments(deps.db, fileId))) await deps.enqueueFinalize({ fileId });
}
