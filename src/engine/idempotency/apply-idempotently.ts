import type { Document } from '../../documents/document.ts';
import { prepared, type Db, type Queryable } from '../../store/db.ts';
import { appliedOutcome, applyDocumentInTx, expectedTarget } from '../apply-document.ts';
import type { ExpectedTargets } from '../expected-targets.ts';
import { EngineProblem } from '../problem.ts';
import { applyCallOf, applyDocumentParams, type AppliedJson } from '../store/document-writes.ts';

/** How long a key's first response is replayed (the usual 24 h of Stripe-style idempotency keys). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Locks the key (advisory-lock class 100: the two-key lock space, apart from single-key locks others take; key
 * hashtext(client \n key)), looks it up and, when it holds no live response, applies the document as
 * `engine.apply_document` does, without committing: one round trip (`engine.idempotent_apply_document`,
 * migration 015).
 */
const IDEMPOTENT_APPLY = prepared(
  'engine_idempotent_apply_document',
  `SELECT engine.idempotent_apply_document($1, $2, $3::timestamptz, $4, $5, $6, $7, $8, $9, $10, $11,
     $12::jsonb, $13::jsonb, $14::jsonb, $15::jsonb, $16::jsonb, $17::jsonb) AS found`,
);

// An expired row for the key may still be there (purging is lazy): the new response replaces it.
const STORE_RESPONSE = prepared(
  'engine_store_idempotent_response',
  `INSERT INTO engine.idempotency_keys (client_id, idempotency_key, request_sha256, response_status, response_body, created_at, expires_at)
   VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $7::timestamptz)
   ON CONFLICT (client_id, idempotency_key) DO UPDATE SET request_sha256 = EXCLUDED.request_sha256,
     response_status = EXCLUDED.response_status, response_body = EXCLUDED.response_body,
     created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at`,
);

type Found = { stored: { requestSha256: string; status: number; body: string } } | AppliedJson;

export interface IdempotentApplyRequest {
  clientId: string;
  key: string;
  /** sha256 (hex) of the raw request body: the same key with other bytes is a different request. */
  requestSha256: string;
  document: Document;
  now: Date;
  ttlMs?: number;
  /** What this engine wrote last (see applyDocument). */
  expected?: ExpectedTargets;
}

export interface StoredResponse {
  status: number;
  /** The JSON text sent, kept as text so a replay is byte for byte the first response. */
  body: string;
  replayed: boolean;
}

/**
 * Applies a document at most once per (client, key) within the TTL, atomically with its effect: one
 * transaction takes an advisory lock on the key, looks it up, and either returns the stored response or
 * applies the document and stores the response. Round trips: BEGIN with the key's lookup and the document's
 * check-and-write, then the response's insert with the COMMIT; one more when the store does not hold the
 * expected target (read, then written under the locks the transaction keeps). A concurrent request with the same
 * key waits on the lock and then finds the first one's response; if the application fails, nothing is stored
 * and the key stays free.
 */
export async function applyDocumentIdempotently(db: Db, request: IdempotentApplyRequest): Promise<StoredResponse> {
  const { document, now, expected } = request;
  const expiresAt = new Date(now.getTime() + (request.ttlMs ?? IDEMPOTENCY_TTL_MS));
  const expectation = expectedTarget(document, expected, now);
  try {
    return await db.transaction(async (tx) => {
      const { rows } = await tx.query<{ found: Found }>(IDEMPOTENT_APPLY, [
        request.clientId,
        request.key,
        now.toISOString(),
        ...applyDocumentParams(document, expectation),
      ]);
      const found = rows[0]!.found;
      if ('stored' in found) {
        if (found.stored.requestSha256 !== request.requestSha256) {
          throw new EngineProblem(
            422,
            'IDEMPOTENCY_KEY_REUSED',
            'This Idempotency-Key was already used with a different request body; use a new key for a new document.',
          );
        }
        return { status: Number(found.stored.status), body: found.stored.body, replayed: true };
      }
      const applied = applyCallOf(found, expectation);
      const outcome =
        'written' in applied
          ? appliedOutcome(document, expectation!, applied.written, expected)
          : await applyDocumentInTx(tx, document, { now, target: applied.target, ...(expected ? { expected } : {}) });
      const body = JSON.stringify(outcome.body);
      // The transaction's last statement: the response is stored and the whole document committed in one round trip.
      await tx.queryAndCommit(STORE_RESPONSE, [request.clientId, request.key, request.requestSha256, outcome.status, body, now.toISOString(), expiresAt.toISOString()]);
      return { status: outcome.status, body, replayed: false };
    });
  } catch (error) {
    // The expectation may have been remembered before a later statement failed and rolled the document back.
    expected?.forget(document);
    throw error;
  }
}

/** Deletes up to `limit` expired keys; returns how many. Small batches, so a purge never holds locks for long. */
export async function purgeExpiredIdempotencyKeys(db: Queryable, now: Date, limit = 1000): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `WITH gone AS (
       DELETE FROM engine.idempotency_keys WHERE (client_id, idempotency_key) IN (
         SELECT client_id, idempotency_key FROM engine.idempotency_keys WHERE expires_at <= $1::timestamptz LIMIT $2)
       RETURNING 1)
     SELECT count(*)::int AS n FROM gone`,
    [now.toISOString(), limit],
  );
  return rows[0]?.n ?? 0;
}

/** Idempotency-Key values: visible ASCII, up to 255 characters (they are stored and compared as given). */
export function isValidIdempotencyKey(value: string): boolean {
  return /^[\x21-\x7e]{1,255}$/.test(value);
}
