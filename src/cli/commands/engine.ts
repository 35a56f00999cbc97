import type { Command } from 'commander';
import { prepareDataDir } from '../../config/data-dir.ts';
import { loadEnv } from '../../config/env.ts';
import { createLogger } from '../../log/logger.ts';
import { runUntilSignal } from '../../runtime/run-until-signal.ts';

export function registerEngineCommand(program: Command): void {
  program
    .command('engine')
    .description('run only the document intake engine (POST /v1/documents); PORT, DATA_DIR, DATABASE_URL, ENGINE_DEMO')
    .action(async () => {
      const env = loadEnv();
      const logger = createLogger({ level: env.LOG_LEVEL, name: 'engine' });
      prepareDataDir(env.DATA_DIR, logger);
      const { startEngineServer } = await import('../../engine/engine-server.ts');
      const engine = await startEngineServer(env, logger);
      logger.info({ docs: `${engine.url}/v1/docs/` }, `Swagger UI at ${engine.url}/v1/docs/`);
      await runUntilSignal(logger, [() => engine.close()]);
    });
}
