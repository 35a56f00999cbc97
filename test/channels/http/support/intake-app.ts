import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { HttpCustomer } from '../../../../src/channels/http/http-channel-schema.ts';
import { buildGatewayApp, type GatewayAppOptions } from '../../../../src/gateway/http/gateway-app.ts';
import { GatewayMetrics } from '../../../../src/gateway/metrics.ts';
import { Inbox } from '../../../../src/inbox/inbox.ts';
import { migrateLedger } from '../../../../src/ledger/migrations.ts';
import { silentLogger } from '../../../../src/log/logger.ts';
import { createTestDb, type TestDatabase } from '../../../support/stores.ts';

export interface IntakeApp {
  app: FastifyInstance;
  database: TestDatabase;
  dir: string;
  spoolDir: string;
  /** File ids whose parse job was enqueued. */
  parsed: string[];
  close(): Promise<void>;
}

/**
 * The gateway app with the HTTP intake over a real inbox (spool on disk, ledger on PGlite); the queues only record
 * what was enqueued. Limits: files 1000 bytes, records 500 bytes. `overrides` replace the app's options (a logger
 * that records, other connection limits).
 */
export async function startIntakeApp(customers: Record<string, HttpCustomer>, overrides: Partial<GatewayAppOptions> = {}): Promise<IntakeApp> {
  const dir = mkdtempSync(join(tmpdir(), 'http-intake-'));
  const database = await createTestDb('pglite');
  await migrateLedger(database.db);
  const parsed: string[] = [];
  const spoolDir = join(dir, 'spool');
  const inbox = new Inbox({
    db: database.db,
    spoolDir,
    queues: { enqueueParse: async (job) => void parsed.push(job.fileId), enqueueFinalize: async () => undefined },
    logger: silentLogger,
    duplicateWindowHours: 24,
    maxFileBytes: 1_000_000,
  });
  const unused = async (): Promise<never> => {
    throw new Error('not used here');
  };
  const app = buildGatewayApp({
    db: database.db,
    logger: silentLogger,
    metrics: new GatewayMetrics({ db: database.db, queueDepths: async () => ({}) }),
    opsToken: 'ops-token-0123456789',
    regress: unused,
    replay: unused,
    inbox,
    readiness: async () => ({}),
    customers: () => Object.keys(customers),
    httpIntake: { httpCustomers: () => customers, resultsDir: join(dir, 'results'), maxFileBytes: 1000, maxRecordsBytes: 500 },
    ...overrides,
  });
  await app.ready();
  return {
    app,
    database,
    dir,
    spoolDir,
    parsed,
    async close() {
      await app.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
