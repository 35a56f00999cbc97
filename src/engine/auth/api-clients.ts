import type { Db, Queryable } from '../../store/db.ts';
import { dummySecretHash, hashClientSecret, verifyClientSecret } from './client-secret.ts';
import type { Grant } from './grants.ts';

export interface ApiClientSpec {
  clientId: string;
  secret: string;
  /** A business (all its facilities) or one facility of it. */
  grants: Grant[];
  name?: string;
}

export interface AuthenticatedClient {
  clientId: string;
  grants: Grant[];
}

/**
 * Creates the client, or replaces its secret and grants: running it twice with the same spec leaves the same
 * client (the stored hash differs, a fresh salt each time, but verifies the same secret).
 */
export async function createApiClient(db: Db, spec: ApiClientSpec): Promise<void> {
  const secretHash = await hashClientSecret(spec.secret);
  await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO engine.api_clients (client_id, secret_hash, name) VALUES ($1, $2, $3)
       ON CONFLICT (client_id) DO UPDATE SET secret_hash = EXCLUDED.secret_hash, name = EXCLUDED.name`,
      [spec.clientId, secretHash, spec.name ?? ''],
    );
    await tx.query('DELETE FROM engine.api_client_grants WHERE client_id = $1', [spec.clientId]);
    for (const grant of spec.grants) {
      await tx.query(
        `INSERT INTO engine.api_client_grants (client_id, business_slug, facility_slug) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING`,
        [spec.clientId, grant.business, grant.facility ?? null],
      );
    }
  });
}

export async function apiClientExists(db: Queryable, clientId: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM engine.api_clients WHERE client_id = $1', [clientId]);
  return rows.length > 0;
}

/** The client and its grants when the secret matches; null otherwise (unknown id or wrong secret alike). */
export async function authenticateApiClient(db: Queryable, clientId: string, secret: string): Promise<AuthenticatedClient | null> {
  // PostgreSQL text cannot hold a NUL, so no client id has one: asking would be an error (a 500), not "no such
  // client". The dummy check below still runs, so the answer takes as long as for any unknown client.
  const stored = clientId.includes('\u0000')
    ? undefined
    : (await db.query<{ secret_hash: string }>('SELECT secret_hash FROM engine.api_clients WHERE client_id = $1', [clientId])).rows[0]?.secret_hash;
  const matches = await verifyClientSecret(secret, stored ?? (await dummySecretHash()));
  if (!stored || !matches) return null;
  const grants = await db.query<{ business_slug: string; facility_slug: string | null }>(
    'SELECT business_slug, facility_slug FROM engine.api_client_grants WHERE client_id = $1 ORDER BY business_slug, facility_slug NULLS FIRST',
    [clientId],
  );
  return {
    clientId,
    grants: grants.rows.map((row) => (row.facility_slug === null ? { business: row.business_slug } : { business: row.business_slug, facility: row.facility_slug })),
  };
}
