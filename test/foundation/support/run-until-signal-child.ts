import { createLogger } from '../../../src/log/logger.ts';
import { runUntilSignal } from '../../../src/runtime/run-until-signal.ts';

/**
 * A long-running command as the CLI's are: runUntilSignal with one closer. The closer finishes only when a line
 * arrives on stdin, so the test decides what happens while the process is stopping.
 */
const logger = createLogger({ level: 'info', pretty: false, name: 'signal-child' });
const keepAlive = setInterval(() => undefined, 60_000);
const closeWhenTold = () =>
  new Promise<void>((resolve) => {
    logger.info('closing');
    process.stdin.once('data', () => {
      process.stdin.destroy();
      clearInterval(keepAlive);
      resolve();
    });
  });
const running = runUntilSignal(logger, [closeWhenTold]);
logger.info('ready');
await running;
