import type { Document } from '../documents/document.ts';
import type { DocumentResponse } from '../documents/response.ts';
import type { Db, Queryable, Transaction } from '../store/db.ts';
import { documentResponse, shipmentAfter } from './document-response.ts';
import type { ExpectedTargets } from './expected-targets.ts';
import { planDocument, type DocumentTarget } from './plan-document.ts';
import { EngineProblem } from './problem.ts';
import { applyDocumentPlan, type Expectation, type WrittenIds } from './store/document-writes.ts';

export interface ApplyOptions {
  /** The time the document is processed at (default: now); new shipments are scheduled at it. */
  now?: Date;
  /**
   * The document's target, when the caller already locked and loaded it in this transaction (the idempotent
   * path does it in the same round trip as the key's lookup).
   */
  target?: DocumentTarget;
  /** What this process last wrote: a document planned against it applies in one round trip when it holds. */
  expected?: ExpectedTargets;
}

export interface ApplyOutcome {
  status: 200 | 201;
  body: DocumentResponse;
}

const RETRYABLE = new Set(['40001', '40P01']);

/**
 * Applies a validated document on its own (no caller transaction). Each round trip is one statement that takes
 * the document's locks, checks that the store holds the target the plan was made against and writes it, or else
 * returns the target it holds (`engine.apply_document`): one round trip when the expectation holds (a new order,
 * or an order this process wrote last), two when it must be read first. Should the target change between those
 * two (another document for the same shipment or order got in), the document is applied in one transaction
 * that keeps the locks from the read to the write. Nothing is written before every decision is made, and each
 * write is one statement: the document applies completely or not at all.
 * Throws EngineProblem 404 BUSINESS_NOT_FOUND / FACILITY_NOT_FOUND, 409 DUPLICATE_ORDER_ITEM_KEY / SHIPMENT_CONFLICT,
 * 422 UNKNOWN_DOCK.
 */
export async function applyDocument(db: Db, doc: Document, options: ApplyOptions = {}): Promise<ApplyOutcome> {
  const now = options.now ?? new Date();
  const { expected } = options;
  try {
    let expectation = options.target ? { target: options.target, plan: planDocument(doc, options.target, now) } : expectedTarget(doc, expected, now);
    for (let attempt = 1; attempt <= 2; attempt++) {
      const result = await applyDocumentPlan(db, doc, expectation);
      if ('written' in result) return appliedOutcome(doc, expectation!, result.written, expected);
      expectation = { target: result.target, plan: planDocument(doc, result.target, now) };
    }
  } catch (error) {
    expected?.forget(doc);
    if (!RETRYABLE.has((error as { code?: string }).code ?? '')) throw error;
  }
  return db.transaction((tx) => applyInTx(tx, lastStatementOf(tx), doc, { ...options, now }));
}

/**
 * The document planned against what `expected` says the store holds for it; null when it cannot tell, or when
 * that plan is a refusal: the expectation may be stale, and a refusal is only ever decided against the store.
 */
export function expectedTarget(doc: Document, expected: ExpectedTargets | undefined, now: Date): Expectation | null {
  const target = expected?.expect(doc);
  if (!target) return null;
  try {
    return { target, plan: planDocument(doc, target, now) };
  } catch (error) {
    if (error instanceof EngineProblem) return null;
    throw error;
  }
}

/**
 * Applies a validated document inside the caller's transaction (the idempotent path): the first statement's
 * locks last until the caller commits, so a target read here is still the store's at the write. Round trips: one
 * when `options.target` was loaded in this transaction, else two.
 */
export function applyDocumentInTx(tx: Queryable, doc: Document, options: ApplyOptions = {}): Promise<ApplyOutcome> {
  return applyInTx(tx, tx, doc, options);
}

async function applyInTx(tx: Queryable, writes: Queryable, doc: Document, options: ApplyOptions): Promise<ApplyOutcome> {
  const target = options.target ?? (await readTarget(tx, doc));
  const plan = planDocument(doc, target, options.now ?? new Date());
  const result = await applyDocumentPlan(writes, doc, { target, plan });
  if (!('written' in result)) throw new Error(`the target of order ${doc.orderNumber} changed while its locks were held`);
  return appliedOutcome(doc, { target, plan }, result.written, options.expected);
}

/** `tx` for the document's last statement, its writes: they commit in the same round trip. */
function lastStatementOf(tx: Transaction): Queryable {
  return { query: (sql, params) => tx.queryAndCommit(sql, params) };
}

async function readTarget(tx: Queryable, doc: Document): Promise<DocumentTarget> {
  const result = await applyDocumentPlan(tx, doc, null);
  if (!('target' in result)) throw new Error('a read of the target wrote');
  return result.target;
}

/** The response to a document whose plan was written; `expected` learns the shipment it left. */
export function appliedOutcome(doc: Document, { target, plan }: Expectation, written: WrittenIds, expected: ExpectedTargets | undefined): ApplyOutcome {
  const shipment = shipmentAfter(plan, written);
  expected?.remember(doc, target, shipment, written.orderId);
  const body = documentResponse(plan, written, shipment);
  // 201 when anything was created, else 200 (guide, section 13).
  return { status: body.created.length > 0 ? 201 : 200, body };
}
