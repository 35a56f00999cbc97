import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Env } from '../config/env.ts';
import type { Logger } from '../log/logger.ts';
import { openDb, type Db } from '../store/db.ts';
import { loadJwtSecret } from './auth/jwt-secret.ts';
import { seedDemoData } from './demo-data.ts';
import { buildEngineApp } from './http/engine-app.ts';
import { migrateEngine } from './store/migrations.ts';

export interface EngineServer {
  /** http://host:port the engine listens on (the real port when PORT=0). */
  url: string;
  app: FastifyInstance;
  db: Db;
  close(): Promise<void>;
}

/** The engine as a process part: open and migrate the store, seed the demo tenants if asked, listen. */
export async function startEngineServer(env: Env, logger: Logger): Promise<EngineServer> {
  const db = await openDb(env.DATABASE_URL ? { kind: 'postgres', url: env.DATABASE_URL } : { kind: 'pglite', dataDir: join(env.DATA_DIR, 'pglite') });
  try {
    await migrateEngine(db);
    if (env.ENGINE_DEMO) await seedDemoData(db);
    const app = buildEngineApp({
      db,
      logger,
      jwtSecret: loadJwtSecret({ secret: env.ENGINE_JWT_SECRET, dataDir: env.DATA_DIR }),
      tokenTtlSeconds: env.ENGINE_TOKEN_TTL_SECONDS,
      bodyLimitBytes: env.ENGINE_BODY_LIMIT_BYTES,
    });
    const address = await app.listen({ host: env.HOST, port: env.PORT });
    const url = address.replace('0.0.0.0', '127.0.0.1').replace('[::]', '[::1]');
    logger.info({ url, store: db.kind, demo: env.ENGINE_DEMO }, 'engine listening');
    return {
      url,
      app,
      db,
      async close() {
        await app.close();
        await db.close();
      },
    };
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}
