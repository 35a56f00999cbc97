import type { Document } from '../documents/document.ts';
import type { DocumentResponse } from '../documents/response.ts';
import type { Db, Queryable, Transaction } from '../store/db.ts';
import { documentResponse } from './document-response.ts';
import { planDocument, type DocumentTarget } from './plan-document.ts';
import { loadDocumentTarget } from './store/document-target.ts';
import { writeDocumentPlan } from './store/document-writes.ts';

export interface ApplyOptions {
  /** The time the document is processed at (default: now); new shipments are scheduled at it. */
  now?: Date;
  /**
   * The document's target, when the caller already locked and loaded it in this transaction (the idempotent
   * path does it in the same round trip as the key's lookup); default: `loadDocumentTarget`.
   */
  target?: DocumentTarget;
}

export interface ApplyOutcome {
  status: 200 | 201;
  body: DocumentResponse;
}

/**
 * Applies a validated document inside the caller's transaction (the HTTP layer wraps it with idempotency):
 * lock and read, decide (pure), write: two round trips. Nothing is written before every decision is made,
 * and the caller's transaction makes the document apply completely or not at all.
 * Throws EngineProblem 404 BUSINESS_NOT_FOUND / FACILITY_NOT_FOUND, 409 DUPLICATE_ORDER_ITEM_KEY / SHIPMENT_CONFLICT,
 * 422 UNKNOWN_DOCK.
 */
export async function applyDocumentInTx(tx: Queryable, doc: Document, options: ApplyOptions = {}): Promise<ApplyOutcome> {
  return applyWith(tx, tx, doc, options);
}

/**
 * Applies a validated document in a transaction of its own: two round trips on a PostgreSQL server, BEGIN with
 * the lock-and-load, the writes with the COMMIT (`Transaction.queryAndCommit`).
 */
export function applyDocument(db: Db, doc: Document, options: ApplyOptions = {}): Promise<ApplyOutcome> {
  return db.transaction((tx) => applyWith(tx, lastStatementOf(tx), doc, options));
}

/** `tx` for the document's last statement, its writes: they commit in the same round trip. */
function lastStatementOf(tx: Transaction): Queryable {
  return { query: (sql, params) => tx.queryAndCommit(sql, params) };
}

async function applyWith(tx: Queryable, writes: Queryable, doc: Document, options: ApplyOptions): Promise<ApplyOutcome> {
  const target = options.target ?? (await loadDocumentTarget(tx, doc));
  const plan = planDocument(doc, target, options.now ?? new Date());
  const body = documentResponse(plan, await writeDocumentPlan(writes, plan));
  // 201 when anything was created, else 200 (guide, section 13).
  return { status: body.created.length > 0 ? 201 : 200, body };
}
