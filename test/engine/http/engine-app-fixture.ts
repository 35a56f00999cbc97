import { GUIDE_REQUEST_EXAMPLES } from '../../../src/engine/http/guide-examples.ts';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { silentLogger } from '../../../src/log/logger.ts';
import type { Db } from '../../../src/store/db.ts';
import { seedDemoData } from '../../../src/engine/demo-data.ts';
import { buildEngineApp, type EngineAppOptions } from '../../../src/engine/http/engine-app.ts';
import { migrateEngine } from '../../../src/engine/store/migrations.ts';
import { createTestDb, type StoreKind } from '../../support/stores.ts';

export const TEST_JWT_SECRET = 'test-secret-of-the-engine-http-tests-0123456789';

/** The clock the app reads; tests move it to expire tokens and idempotency keys. */
export interface TestClock {
  now: Date;
  advance(ms: number): void;
}

export interface EngineFixture {
  app: FastifyInstance;
  db: Db;
  clock: TestClock;
  /** A token from POST /oauth/token for a demo client (default demo-client: all of kargo). */
  token(clientId?: string, secret?: string): Promise<string>;
  /** POST /v1/documents as JSON with a token of demo-client (unless headers say otherwise). */
  postDocument(body: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

const DEMO_SECRETS: Record<string, string> = { 'demo-client': 'demo-secret', 'acme-client': 'acme-secret' };

/** A migrated store of the given kind with the demo tenants and clients, and the engine app on it. */
export async function createEngineFixture(kind: StoreKind, overrides: Partial<EngineAppOptions> = {}): Promise<EngineFixture> {
  const database = await createTestDb(kind);
  await migrateEngine(database.db);
  await seedDemoData(database.db);
  const clock: TestClock = {
    now: new Date('2025-01-15T12:00:00Z'),
    advance(ms) {
      this.now = new Date(this.now.getTime() + ms);
    },
  };
  const app = buildEngineApp({
    db: database.db,
    logger: silentLogger,
    jwtSecret: TEST_JWT_SECRET,
    tokenTtlSeconds: 3600,
    bodyLimitBytes: 64 * 1024,
    now: () => clock.now,
    ...overrides,
  });
  const tokens = new Map<string, string>();
  const token = async (clientId = 'demo-client', secret = DEMO_SECRETS[clientId] ?? '') => {
    const cached = tokens.get(`${clientId}:${secret}`);
    if (cached) return cached;
    const response = await app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: { grant_type: 'client_credentials', client_id: clientId, client_secret: secret },
    });
    if (response.statusCode !== 200) throw new Error(`token for ${clientId}: ${response.statusCode} ${response.body}`);
    const accessToken = response.json<{ access_token: string }>().access_token;
    tokens.set(`${clientId}:${secret}`, accessToken);
    return accessToken;
  };
  return {
    app,
    db: database.db,
    clock,
    token,
    async postDocument(body, headers = {}) {
      return app.inject({
        method: 'POST',
        url: '/v1/documents',
        headers: { authorization: `Bearer ${await token()}`, 'content-type': 'application/json', ...headers },
        payload: typeof body === 'string' ? body : JSON.stringify(body),
      });
    },
    async close() {
      await app.close();
      await database.drop();
    },
  };
}

/** The guide's example 1 (section 6), the document most tests send. */
export function exampleOneDocument(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...structuredClone(GUIDE_REQUEST_EXAMPLES.createOutboundOrder.value), ...overrides };
}

export function expectProblem(response: LightMyRequestResponse, status: number, code: string): Record<string, unknown> {
  const body = response.json<Record<string, unknown>>();
  const summary = `${response.statusCode} ${response.body}`;
  if (response.statusCode !== status || body.code !== code || body.status !== status || body.type !== 'about:blank') {
    throw new Error(`expected problem ${status} ${code}, got ${summary}`);
  }
  if (!String(response.headers['content-type']).startsWith('application/problem+json')) {
    throw new Error(`expected application/problem+json, got ${response.headers['content-type']}`);
  }
  if (typeof body.title !== 'string' || typeof body.detail !== 'string') throw new Error(`problem without title/detail: ${summary}`);
  return body;
}
