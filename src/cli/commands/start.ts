import { accessSync, constants, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { prepareDataDir } from '../../config/data-dir.ts';
import { configErrorOf, loadEnv } from '../../config/env.ts';
import { listCustomers } from '../../gateway/customers.ts';
import { createLogger, redactUrlCredentials } from '../../log/logger.ts';
import { runUntilSignal } from '../../runtime/run-until-signal.ts';

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('run the whole product in one process with embedded defaults: engine (with demo data unless ENGINE_DEMO=false), gateway, workers, drop folders')
    .action(async () => {
      const loaded = loadEnv();
      // `npm start` is the README's walk-through, demo credentials included, unless ENGINE_DEMO=false says otherwise.
      const env = { ...loaded, ENGINE_DEMO: loaded.ENGINE_DEMO ?? true };
      const logger = createLogger({ level: env.LOG_LEVEL });
      prepareDataDir(env.DATA_DIR, logger);
      // A setting that needs no service is checked before any is opened: a mistyped MAPPINGS_DIR was reported only
      // after Redis, the store and the engine had started (15 s here).
      listCustomers(resolve(env.MAPPINGS_DIR));
      // Loaded when the command runs: the product takes seconds to load, which `intake --help`, `intake files …`
      // and `intake mapping …` would otherwise pay on every call (the engine and worker commands do the same).
      const [{ openProcessDb, startEngineServer }, { ensureEmbeddedGatewayClient }, { startGateway, gatewayPaths }, { ensureRedis }] = await Promise.all([
        import('../../engine/engine-server.ts'),
        import('../../gateway/embedded-engine-client.ts'),
        import('../../gateway/start-gateway.ts'),
        import('../../runtime/ensure-redis.ts'),
      ]);
      prepareDropDir(gatewayPaths(env).dropDir, env.DROP_DIR);
      const redis = await ensureRedis(env.REDIS_URL, env.DATA_DIR, logger);
      const closers: (() => Promise<void>)[] = [() => redis.close()];
      try {
        // One store for the engine and the ledger: PGlite is one process's, and one instance is enough.
        const db = await openProcessDb(env);
        closers.push(() => db.close());
        const engine = await startEngineServer(env, logger.child({ part: 'engine' }), { db });
        closers.push(() => engine.close());
        const credentials = env.ENGINE_URL
          ? { clientId: env.ENGINE_CLIENT_ID ?? '', clientSecret: env.ENGINE_CLIENT_SECRET ?? '' }
          : await ensureEmbeddedGatewayClient(db, env.DATA_DIR);
        const gateway = await startGateway(
          env,
          db,
          logger.child({ part: 'gateway' }),
          { baseUrl: env.ENGINE_URL ?? engine.url, tokenUrl: env.ENGINE_TOKEN_URL, audience: env.ENGINE_AUDIENCE, ...credentials },
          { intake: true, workers: true },
        );
        closers.push(() => gateway.close());
        logger.info(
          { engine: engine.url, gateway: gateway.url, redis: redactUrlCredentials(redis.url), dropDir: gatewayPaths(env).dropDir },
          `intake-gateway running: engine ${engine.url} (Swagger UI ${engine.url}/v1/docs/), gateway ${gateway.url}; drop files into ${gatewayPaths(env).dropDir}/<customer>/inbound`,
        );
      } catch (error) {
        // A start that fails halfway (a port taken, say) closes what it opened: the private redis-server it
        // started outlived it, still holding its port and the data directory's Redis files.
        for (const close of closers.reverse()) {
          await close().catch((closeError: unknown) => logger.warn({ err: closeError }, 'error while closing after a failed start'));
        }
        throw error;
      }
      await runUntilSignal(logger, closers);
    });
}

/**
 * The drop folders' root (`dropDir`, from DROP_DIR as `configured` or its default under DATA_DIR), created if
 * missing. Checked before any service opens: the drop folder's poll would otherwise fail every second, for as
 * long as the product runs, on a root that is a file or that it cannot create or read.
 */
export function prepareDropDir(dropDir: string, configured: string | undefined): void {
  const refuse = (problem: string) =>
    configErrorOf(
      [{ variable: 'DROP_DIR', message: `${problem}: the customers' drop folders are kept there${configured === undefined ? ' (DROP_DIR is unset: DATA_DIR/dropbox)' : ''}` }],
      { DROP_DIR: configured },
    );
  try {
    mkdirSync(dropDir, { recursive: true });
  } catch (error) {
    throw refuse((error as NodeJS.ErrnoException).code === 'EEXIST' ? `${dropDir} is a file, not a folder` : `cannot be created: ${(error as Error).message}`);
  }
  try {
    accessSync(dropDir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (error) {
    throw refuse(`cannot be used by this user: ${(error as Error).message}`);
  }
}
