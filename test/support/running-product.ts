import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnv, type Env } from '../../src/config/env.ts';
import { openProcessDb, startEngineServer, type EngineServer } from '../../src/engine/engine-server.ts';
import { ensureEmbeddedGatewayClient } from '../../src/gateway/embedded-engine-client.ts';
import { startGateway, type RunningGateway } from '../../src/gateway/start-gateway.ts';
import { createLogger, silentLogger, type Logger } from '../../src/log/logger.ts';
import type { Db } from '../../src/store/db.ts';
import { deleteQueueKeys, testQueuePrefix, TEST_REDIS_URL } from './redis.ts';
import { createPostgresDatabase } from './stores.ts';

export interface RunningProduct {
  env: Env;
  db: Db;
  engine: EngineServer;
  gateway: RunningGateway;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * The product as `npm start` runs it (engine, gateway, workers, drop folders on one store), on a PostgreSQL
 * database, a queue prefix and a data directory of the test's own; `stop` removes exactly those.
 */
export async function startProduct(settings: { mappingsDir: string; env?: Record<string, string>; logger?: Logger }): Promise<RunningProduct> {
  const dataDir = mkdtempSync(join(tmpdir(), 'intake-product-'));
  const database = await createPostgresDatabase();
  const env = loadEnv({
    DATA_DIR: dataDir,
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    PORT: '0',
    GATEWAY_PORT: '0',
    MAPPINGS_DIR: settings.mappingsDir,
    QUEUE_PREFIX: testQueuePrefix(),
    DROP_POLL_INTERVAL_MS: '100',
    DROP_MIN_AGE_MS: '0',
    SUBMIT_RETRY_BASE_MS: '50',
    SUBMIT_RETRY_MAX_MS: '500',
    LOG_LEVEL: 'silent',
    SFTP_PORT: '0',
    ...settings.env,
  });
  // INTAKE_TEST_LOG=debug shows the product's own log lines while a test runs.
  const logger = settings.logger ?? (process.env.INTAKE_TEST_LOG ? createLogger({ level: process.env.INTAKE_TEST_LOG, pretty: false }) : silentLogger);
  const db = await openProcessDb(env);
  const engine = await startEngineServer({ ...env, ENGINE_DEMO: true }, logger, { db });
  const credentials = await ensureEmbeddedGatewayClient(db, dataDir);
  const gateway = await startGateway(env, db, logger, { baseUrl: engine.url, ...credentials }, { intake: true, workers: true });
  return {
    env,
    db,
    engine,
    gateway,
    dataDir,
    async stop() {
      await gateway.close();
      await engine.close();
      await db.close();
      await database.drop();
      await deleteQueueKeys(env.QUEUE_PREFIX);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
