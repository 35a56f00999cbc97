import type { Logger } from '../log/logger.ts';

/** How long a process may stay after a clean shutdown before it is ended anyway. */
const LINGER_MS = 2000;

/**
 * Keeps a long-running command alive until SIGINT/SIGTERM, then closes what it started, newest first, within a
 * bound: a stuck close never keeps the process from exiting.
 */
export function runUntilSignal(logger: Logger, closers: (() => Promise<void>)[], timeoutMs = 15_000): Promise<void> {
  return new Promise((done) => {
    let stopping = false;
    let repeatLogged = false;
    const stop = async (signal: NodeJS.Signals) => {
      if (stopping) {
        if (!repeatLogged) logger.info({ signal }, 'already stopping; further signals are ignored');
        repeatLogged = true;
        return;
      }
      stopping = true;
      logger.info({ signal }, 'stopping');
      const timer = setTimeout(() => {
        logger.error({ timeoutMs }, 'shutdown took too long; exiting');
        process.exit(1);
      }, timeoutMs);
      timer.unref();
      for (const close of [...closers].reverse()) {
        try {
          await close();
        } catch (error) {
          logger.error({ err: error }, 'error while stopping');
        }
      }
      clearTimeout(timer);
      logger.info({ signal }, 'stopped');
      // Everything we started is closed; a handle something else left open (a library's connection) must not
      // keep a stopped service running: past a short linger, exit anyway, and say so.
      setTimeout(() => {
        logger.warn({ lingerMs: LINGER_MS }, 'stopped, but open handles kept the process alive; exiting');
        process.exit(0);
      }, LINGER_MS).unref();
      done();
    };
    // Kept for the whole shutdown, not once: Ctrl-C on `npm start` signals the whole process group, npm passes it
    // on, and node gets SIGINT twice; with no handler left the second one killed it in the middle of closing.
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
