import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { configErrorOf, type Env } from '../config/env.ts';
import { redactUrlCredentials, type Logger } from '../log/logger.ts';
import { openDb, StoreUnavailableError, type Db } from '../store/db.ts';
import { loadJwtSecret } from './auth/jwt-secret.ts';
import { removeDemoClients, seedDemoData } from './demo-data.ts';
import { buildEngineApp } from './http/engine-app.ts';
import { migrateEngine } from './store/migrations.ts';

export interface EngineServer {
  /** http://host:port the engine listens on (the real port when PORT=0). */
  url: string;
  app: FastifyInstance;
  db: Db;
  close(): Promise<void>;
}

/**
 * The store a process runs on: PostgreSQL with DATABASE_URL, else PGlite under DATA_DIR (one instance per process).
 * A server that cannot be used (refused, unreachable, no such database, login refused) is a bad setting: one
 * line naming DATABASE_URL, its password redacted.
 */
export async function openProcessDb(env: Env): Promise<Db> {
  if (!env.DATABASE_URL) return openDb({ kind: 'pglite', dataDir: join(env.DATA_DIR, 'pglite') });
  try {
    return await openDb({ kind: 'postgres', url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE });
  } catch (error) {
    if (!(error instanceof StoreUnavailableError)) throw error;
    throw configErrorOf([{ variable: 'DATABASE_URL', message: `cannot use the PostgreSQL database there: ${error.reason}` }], { DATABASE_URL: redactUrlCredentials(env.DATABASE_URL) });
  }
}

/**
 * The engine as a process part: open and migrate the store, seed the demo tenants if asked, listen. Given a
 * `db`, it shares it (the gateway's ledger lives in the same store) and leaves closing it to the owner.
 */
export async function startEngineServer(env: Env, logger: Logger, shared?: { db: Db }): Promise<EngineServer> {
  const db = shared?.db ?? (await openProcessDb(env));
  const ownsDb = !shared;
  try {
    await migrateEngine(db);
    if (env.ENGINE_DEMO) await seedDemoData(db);
    else if (env.ENGINE_DEMO === false) {
      // Only when said: `npm run engine` (unset) on a store `npm start` seeded keeps the demo it finds.
      for (const clientId of await removeDemoClients(db)) {
        logger.warn({ clientId }, `demo API client "${clientId}" removed: ENGINE_DEMO is off and it still had its published secret`);
      }
    }
    const app = buildEngineApp({
      db,
      logger,
      jwtSecret: loadJwtSecret({ secret: env.ENGINE_JWT_SECRET, dataDir: env.DATA_DIR }),
      tokenTtlSeconds: env.ENGINE_TOKEN_TTL_SECONDS,
      bodyLimitBytes: env.ENGINE_BODY_LIMIT_BYTES,
      targetCacheSize: env.ENGINE_TARGET_CACHE_SIZE,
    });
    const address = await app.listen({ host: env.HOST, port: env.PORT });
    const url = address.replace('0.0.0.0', '127.0.0.1').replace('[::]', '[::1]');
    logger.info({ url, store: db.kind, demo: env.ENGINE_DEMO === true }, 'engine listening');
    return {
      url,
      app,
      db,
      async close() {
        await app.close();
        if (ownsDb) await db.close();
      },
    };
  } catch (error) {
    if (ownsDb) await db.close().catch(() => undefined);
    throw error;
  }
}
