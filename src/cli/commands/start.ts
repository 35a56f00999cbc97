import type { Command } from 'commander';
import { loadEnv } from '../../config/env.ts';
import { startEngineServer } from '../../engine/engine-server.ts';
import { createLogger } from '../../log/logger.ts';
import { ensureRedis } from '../../runtime/ensure-redis.ts';
import { runUntilSignal } from '../../runtime/run-until-signal.ts';

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('run the whole product in one process with embedded defaults: the engine (with demo data) and the services it needs')
    .action(async () => {
      const env = loadEnv();
      const logger = createLogger({ level: env.LOG_LEVEL });
      const redis = await ensureRedis(env.REDIS_URL, env.DATA_DIR, logger);
      const engine = await startEngineServer({ ...env, ENGINE_DEMO: true }, logger);
      logger.info(
        { engine: engine.url, docs: `${engine.url}/v1/docs/`, redis: redis.url, dataDir: env.DATA_DIR },
        `intake-gateway running: engine at ${engine.url} (Swagger UI at ${engine.url}/v1/docs/); demo client demo-client/demo-secret`,
      );
      await runUntilSignal(logger, [() => redis.close(), () => engine.close()]);
    });
}
