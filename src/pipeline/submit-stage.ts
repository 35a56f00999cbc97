import type { Logger } from '../log/logger.ts';
import { claimAttempt, finishDocumentAndAdvance, getDocument, hasPendingDocuments, type DocumentOutcome } from '../ledger/documents-repo.ts';
import { getFile } from '../ledger/files-repo.ts';
import type { Db } from '../store/db.ts';
import type { Document } from '../documents/document.ts';
import type { EngineClient } from '../engine-client/engine-client.ts';
import type { RetryReason, SubmitOutcome } from '../engine-client/submit-outcome.ts';
import type { DocumentResponse } from '../documents/response.ts';
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
  // One round trip when the document is QUEUED (the usual case): the attempt is counted and the row read together.
  let doc = await claimAttempt(db, job.fileId, job.idx);
  if (!doc) {
    const current = await getDocument(db, job.fileId, job.idx);
    if (!current) return;
    // Already final: a re-run of a job whose run died (SIGKILL, lost lock) after recording the outcome, maybe
    // before freeing the order's next document or finalizing the file. Both steps are idempotent: do them again.
    if (current.state !== 'WAITING' && current.state !== 'QUEUED') await afterDocumentFinished(deps, job.fileId, current.order_key);
    // QUEUED now (it was WAITING a moment ago and has just been activated): claim it once more.
    if (current.state === 'QUEUED') doc = await claimAttempt(db, job.fileId, job.idx);
    if (!doc) return;
  }
  const key = `${job.fileId}-${job.idx}`;
  const attempt = doc.attempts;
  const log = logger.child({ fileId: job.fileId, customer: doc.customer, documentIndex: job.idx, correlationId: key, attempt });
  const outcome = await deps.submitter.submitDocument(doc.payload as Document, { correlationId: key, idempotencyKey: key });
  let result: DocumentOutcome;
  if (outcome.kind === 'retry') {
    if (attempt < deps.maxAttempts) {
      const delay = deps.retryDelayMs(attempt, outcome);
      log.warn({ reason: outcome.reason, status: outcome.status, delayMs: delay, message: outcome.message }, 'engine not available: will retry');
      return defer(delay);
    }
    log.error({ reason: outcome.reason, status: outcome.status, message: outcome.message }, 'document failed: retries exhausted');
    result = {
      state: 'FAILED',
      ...(outcome.status ? { engineStatus: outcome.status } : {}),
      error: [{ code: 'ENGINE_UNAVAILABLE', message: engineUnavailableMessage(attempt, outcome), place: {} }],
    };
  } else if (outcome.kind === 'accepted') {
    log.info({ status: outcome.status }, 'document accepted');
    result = { state: 'ACCEPTED', engineStatus: outcome.status, response: recordedResponse(outcome.response) };
  } else {
    log.info({ status: outcome.status, code: outcome.problem.code }, 'document rejected by the engine');
    result = { state: 'REJECTED', engineStatus: outcome.status, problem: outcome.problem };
  }
  await afterDocumentFinished(deps, job.fileId, doc.order_key, { idx: job.idx, outcome: result });
}

/**
 * What the ledger keeps of an accepted document's response: the ids the result files and `files show` report,
 * and which shipment it landed on. Not the shipment view: it lists every order and item of the shipment, so the
 * documents of one load (a 2,000-order ASN) would store O(n²) of it, about 14 MB for 200 orders, and finalize
 * would read all of it back into memory at once.
 */
function recordedResponse(response: DocumentResponse): Pick<DocumentResponse, 'created' | 'updated' | 'removed'> & { shipment: Pick<DocumentResponse['shipment'], 'id' | 'shipmentNumber' | 'status'> } {
  const { created, updated, removed, shipment } = response;
  return { created, updated, removed, shipment: { id: shipment.id, shipmentNumber: shipment.shipmentNumber, status: shipment.status } };
}

/**
 * A finished document frees the next one for its order, and may complete its file. With `finish`, records that
 * document's outcome first (only a QUEUED document moves). One round trip to the ledger for all of it
 * (`finishDocumentAndAdvance`); each step is committed before the next looks, as in separate statements.
 */
export async function afterDocumentFinished(
  deps: Pick<SubmitStageDeps, 'db' | 'enqueueSubmits' | 'enqueueFinalize'>,
  fileId: string,
  orderKey: string,
  finish?: { idx: number; outcome: DocumentOutcome },
): Promise<void> {
  const step = await finishDocumentAndAdvance(deps.db, fileId, finish?.idx ?? -1, orderKey, finish?.outcome ?? null);
  await deps.enqueueSubmits(step.next);
  if (step.fileState === 'SUBMITTING' && step.pending === false) await deps.enqueueFinalize({ fileId });
}

export async function finalizeWhenDone(deps: Pick<SubmitStageDeps, 'db' | 'enqueueFinalize'>, fileId: string): Promise<void> {
  const file = await getFile(deps.db, fileId);
  if (file?.state !== 'SUBMITTING') return;
  if (!(await hasPendingDocuments(deps.db, fileId))) await deps.enqueueFinalize({ fileId });
}

const RETRY_REASON_TEXT: Record<RetryReason, string> = {
  network: 'could not be reached',
  timeout: 'did not answer in time',
  'server-error': 'answered with an error of its own',
  'rate-limited': 'asked us to slow down',
  unauthorized: 'refused our credentials',
};

/**
 * The result file's words for a document the engine never took. The customer reads them: the reason, never the
 * engine's or the token server's address (the log line beside it has the full message for the operator).
 */
function engineUnavailableMessage(attempts: number, outcome: { reason: RetryReason; status?: number | undefined }): string {
  const status = outcome.status ? ` (HTTP ${outcome.status})` : '';
  return `the platform ${RETRY_REASON_TEXT[outcome.reason]}${status} on ${attempts} attempts; nothing of this document was applied. The fault is ours, not the file's: our operators replay the file once the platform is back, so there is no need to send it again`;
}
