import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvSchema } from '../../../src/config/env.ts';
import { startEngineServer, type EngineServer } from '../../../src/engine/engine-server.ts';
import { silentLogger } from '../../../src/log/logger.ts';
import { ADMIN_DATABASE_URL, createPostgresDatabase } from '../../support/stores.ts';
import { exampleOneDocument } from './engine-app-fixture.ts';

describe('startEngineServer', () => {
  let dir: string;
  let server: EngineServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'engine-server-'));
    server = await startEngineServer(EnvSchema.parse({ DATA_DIR: dir, PORT: '0', ENGINE_DEMO: 'true' }), silentLogger);
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sizes its PostgreSQL pool at twice the machine\'s cores unless DATABASE_POOL_SIZE says otherwise', () => {
    expect(EnvSchema.parse({}).DATABASE_POOL_SIZE).toBe(2 * availableParallelism());
    expect(EnvSchema.parse({ DATABASE_POOL_SIZE: '3' }).DATABASE_POOL_SIZE).toBe(3);
    expect(EnvSchema.safeParse({ DATABASE_POOL_SIZE: '0' }).success).toBe(false);
  });

  it('listens with an embedded store, a generated key (0600) and the demo clients', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.db.kind).toBe('pglite');
    expect(statSync(join(dir, 'engine-jwt.key')).mode & 0o777).toBe(0o600);
    const tokenResponse = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'demo-client', client_secret: 'demo-secret', audience: 'https://api.kargo.zone/public_graphql', grant_type: 'client_credentials' }),
    });
    expect(tokenResponse.status).toBe(200);
    const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
    const response = await fetch(`${server.url}/v1/documents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'correlation-id': 'server-1' },
      body: JSON.stringify(exampleOneDocument()),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('correlation-id')).toBe('server-1');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe('startEngineServer on a PostgreSQL server', () => {
  it('never opens more connections than DATABASE_POOL_SIZE, and queues the documents beyond them', async () => {
    const database = await createPostgresDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'engine-server-'));
    const env = EnvSchema.parse({ DATA_DIR: dir, PORT: '0', ENGINE_DEMO: 'true', DATABASE_URL: database.url, DATABASE_POOL_SIZE: '2' });
    const server = await startEngineServer(env, silentLogger);
    const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
    try {
      await admin.connect();
      const token = await demoToken(server.url);
      const statuses = await Promise.all(
        Array.from({ length: 12 }, async (_, i) => {
          const response = await fetch(`${server.url}/v1/documents`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ ...exampleOneDocument(), orderNumber: `POOL-${i}`, shipmentNumber: `POOL-${i}` }),
          });
          return response.status;
        }),
      );
      expect(statuses).toEqual(Array(12).fill(201));
      const databaseName = new URL(database.url).pathname.slice(1);
      // The pool keeps its connections open while idle (10 s), so this counts every one it opened.
      const { rows } = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [databaseName]);
      expect(rows[0]!.n).toBeGreaterThan(0);
      expect(rows[0]!.n).toBeLessThanOrEqual(2);
    } finally {
      await admin.end();
      await server.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

async function demoToken(url: string): Promise<string> {
  const response = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: 'demo-client', client_secret: 'demo-secret', grant_type: 'client_credentials' }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}
