import type { Document } from '../../documents/document.ts';
import { prepared, type Db, type Queryable } from '../../store/db.ts';
import { applyDocumentInTx } from '../apply-document.ts';
import type { DocumentTarget } from '../plan-document.ts';
import { EngineProblem } from '../problem.ts';
import { loadDocumentTargetParams } from '../store/document-target.ts';

/** How long a key's first response is replayed (the usual 24 h of Stripe-style idempotency keys). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Locks the key (advisory-lock class 100: the two-key lock space, apart from single-key locks others take; key
 * hashtext(client \n key)), looks it up and, when it holds no live response, locks and loads the document's
 * target: one round trip (`engine.idempotent_lookup_and_load`, migration 013).
 */
const LOOKUP_AND_LOAD = prepared(
  'engine_idempotent_lookup_and_load',
  'SELECT engine.idempotent_lookup_and_load($1, $2, $3::timestamptz, $4, $5, $6, $7, $8, $9, $10, $11) AS found',
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

interface LookupAndLoad {
  stored?: { requestSha256: string; status: number; body: string };
  target?: DocumentTarget;
}

export interface IdempotentApplyRequest {
  clientId: string;
  key: string;
  /** sha256 (hex) of the raw request body: the same key with other bytes is a different request. */
  requestSha256: string;
  document: Document;
  now: Date;
  ttlMs?: number;
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
 * applies the document and stores the response (round trips: BEGIN with the lock, lookup and the document's
 * lock-and-load, the writes, the response's insert with the COMMIT). A concurrent request with the same key waits on the lock and
 * then finds the first one's response; if the application fails, nothing is stored and the key stays free.
 */
export async function applyDocumentIdempotently(db: Db, request: IdempotentApplyRequest): Promise<StoredResponse> {
  const expiresAt = new Date(request.now.getTime() + (request.ttlMs ?? IDEMPOTENCY_TTL_MS));
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ found: LookupAndLoad }>(LOOKUP_AND_LOAD, [
      request.clientId,
      request.key,
      request.now.toISOString(),
      ...loadDocumentTargetParams(request.document),
    ]);
    const { stored, target } = rows[0]!.found;
    if (stored) {
      if (stored.requestSha256 !== request.requestSha256) {
        throw new EngineProblem(
          422,
          'IDEMPOTENCY_KEY_REUSED',
          'This Idempotency-Key was already used with a different request body; use a new key for a new document.',
        );
      }
      return { status: Number(stored.status), body: stored.body, replayed: true };
    }
    const outcome = await applyDocumentInTx(tx, request.document, { now: request.now, ...(target ? { target } : {}) });
    const body = JSON.stringify(outcome.body);
    // The transaction's last statement: the response is stored and the whole document committed in one round trip.
    await tx.queryAndCommit(STORE_RESPONSE, [
      request.clientId,
      request.key,
      request.requestSha256,
      outcome.status,
      body,
      request.now.toISOString(),
      expiresAt.toISOString(),
    ]);
    return { status: outcome.status, body, replayed: false };
  });
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
