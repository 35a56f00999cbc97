import type { Db, Queryable } from '../store/db.ts';
import { apiClientExists, authenticateApiClient, createApiClient, type ApiClientSpec } from './auth/api-clients.ts';

/** The guide's business and facility (kargo/sf), a second tenant to show grants at work, and a client each. */
const DEMO_TENANTS = [
  { business: 'kargo', facilities: [{ slug: 'sf', docks: ['dock-1'] }] },
  { business: 'acme', facilities: [{ slug: 'nyc', docks: [] as string[] }] },
];

export const DEMO_CLIENTS: readonly ApiClientSpec[] = [
  { clientId: 'demo-client', secret: 'demo-secret', name: 'Demo (all of kargo)', grants: [{ business: 'kargo' }] },
  { clientId: 'acme-client', secret: 'acme-secret', name: 'Demo (acme/nyc)', grants: [{ business: 'acme', facility: 'nyc' }] },
];

/**
 * The demo customers' SFTP logins and HTTP token, published in README and in their customer.yaml under mappings/
 * (which holds only the hashes). What the start-up log may print, and what is refused when the demo is off.
 */
export const DEMO_SFTP_LOGINS: readonly { username: string; password: string }[] = [
  { username: 'northwind', password: 'northwind-demo' },
  { username: 'bluefin', password: 'bluefin-demo' },
];
export const DEMO_HTTP_TOKENS: readonly { customer: string; token: string }[] = [{ customer: 'northwind', token: 'northwind-demo-token' }];

async function ensureTenant(tx: Queryable, business: string, facility: string, docks: readonly string[]): Promise<void> {
  await tx.query('INSERT INTO engine.businesses (slug, name) VALUES ($1, $1) ON CONFLICT (slug) DO NOTHING', [business]);
  await tx.query(
    `INSERT INTO engine.facilities (business_id, slug, name)
     SELECT id, $2, $2 FROM engine.businesses WHERE slug = $1
     ON CONFLICT (business_id, slug) DO NOTHING`,
    [business, facility],
  );
  for (const dock of docks) {
    await tx.query(
      `INSERT INTO engine.docks (facility_id, slug)
       SELECT f.id, $3 FROM engine.facilities f JOIN engine.businesses b ON b.id = f.business_id WHERE b.slug = $1 AND f.slug = $2
       ON CONFLICT (facility_id, slug) DO NOTHING`,
      [business, facility, dock],
    );
  }
}

/**
 * Creates what is missing and changes nothing that exists: a demo client whose secret an operator changed keeps
 * the new secret across restarts.
 */
export async function seedDemoData(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    for (const tenant of DEMO_TENANTS) {
      for (const facility of tenant.facilities) await ensureTenant(tx, tenant.business, facility.slug, facility.docks);
    }
  });
  for (const client of DEMO_CLIENTS) {
    if (!(await apiClientExists(db, client.clientId))) await createApiClient(db, client);
  }
}

/**
 * With the demo off, a store an earlier demo run seeded must not keep answering the published secrets: the demo
 * clients that still have theirs are removed (one whose secret an operator changed is theirs now, and stays).
 * Returns the ids removed.
 */
export async function removeDemoClients(db: Db): Promise<string[]> {
  const removed: string[] = [];
  for (const client of DEMO_CLIENTS) {
    if (!(await apiClientExists(db, client.clientId)) || !(await authenticateApiClient(db, client.clientId, client.secret))) continue;
    await db.query('DELETE FROM engine.api_clients WHERE client_id = $1', [client.clientId]);
    removed.push(client.clientId);
  }
  return removed;
}
