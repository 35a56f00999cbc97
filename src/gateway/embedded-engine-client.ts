import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApiClient } from '../engine/auth/api-clients.ts';
import type { Db } from '../store/db.ts';

export const EMBEDDED_GATEWAY_CLIENT_ID = 'intake-gateway';

/**
 * When the gateway submits to the engine of its own process (`npm start`), it needs API credentials like any
 * client: a client granted every business the engine knows, with a secret generated once into the data
 * directory (mode 0600), never in the repository.
 */
export async function ensureEmbeddedGatewayClient(db: Db, dataDir: string): Promise<{ clientId: string; clientSecret: string }> {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'gateway-client.secret');
  if (!existsSync(path)) writeFileSync(path, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  const clientSecret = readFileSync(path, 'utf8').trim();
  const { rows } = await db.query<{ slug: string }>('SELECT slug FROM engine.businesses ORDER BY slug');
  await createApiClient(db, { clientId: EMBEDDED_GATEWAY_CLIENT_ID, secret: clientSecret, grants: rows.map((row) => ({ business: row.slug })), name: 'the gateway of this process' });
  return { clientId: EMBEDDED_GATEWAY_CLIENT_ID, clientSecret };
}
