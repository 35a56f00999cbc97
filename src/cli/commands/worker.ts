import { resolve } from 'node:path';
import type { Command } from 'commander';
import { prepareDataDir } from '../../config/data-dir.ts';
import { ConfigError, loadEnv } from '../../config/env.ts';
import { listCustomers } from '../../gateway/customers.ts';
import { createLogger } from '../../log/logger.ts';
import { runUntilSignal } from '../../runtime/run-until-signal.ts';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run only the pipeline workers (parse, submit, finalize, deliver), to share the load across processes; needs DATABASE_URL, ENGINE_URL and engine credentials')
    .action(async () => {
      const env = loadEnv();
      // The embedded store belongs to one process: workers in other processes need the shared PostgreSQL server.
      if (!env.DATABASE_URL) throw new ConfigError('DATABASE_URL is required: `intake worker` shares the ledger with the other processes through PostgreSQL');
      if (!env.ENGINE_URL || !env.ENGINE_CLIENT_ID || !env.ENGINE_CLIENT_SECRET) {
        throw new ConfigError('ENGINE_URL, ENGINE_CLIENT_ID and ENGINE_CLIENT_SECRET are required: `intake worker` submits to an engine over HTTP');
      }
      const logger = createLogger({ level: env.LOG_LEVEL, name: 'worker' });
      prepareDataDir(env.DATA_DIR, logger);
      // A setting that needs no service is checked before any is opened: a mistyped MAPPINGS_DIR was reported only
      // after Redis, the store and the engine had started (15 s here).
      listCustomers(resolve(env.MAPPINGS_DIR));
      const [{ openProcessDb }, { startGateway }] = await Promise.all([import('../../engine/engine-server.ts'), import('../../gateway/start-gateway.ts')]);
      const db = await openProcessDb(env);
      const gateway = await startGateway(
        env,
        db,
        logger,
        { baseUrl: env.ENGINE_URL, tokenUrl: env.ENGINE_TOKEN_URL, audience: env.ENGINE_AUDIENCE, clientId: env.ENGINE_CLIENT_ID, clientSecret: env.ENGINE_CLIENT_SECRET },
        { intake: false, workers: true },
      );
      logger.info('workers running');
      await runUntilSignal(logger, [() => db.close(), () => gateway.close()]);
    });
}
