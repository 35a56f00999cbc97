import type { Redis } from 'ioredis';
import type { Logger } from '../log/logger.ts';

/**
 * Redis restarted empty (no AOF, a flush, a failover to a replica behind) forgets every queued job, while the ledger
 * still says what is in flight; start-up recovery queues it again, but a gateway that only reconnected would wait
 * for a restart nobody knew was needed (documents stuck QUEUED, queues empty, /readyz ready). A marker key, written
 * at start, tells at each reconnect whether Redis still holds what it was given: gone, `recover` runs and the
 * marker is written again. A reconnect to a Redis that kept its data costs one EXISTS.
 */
export async function watchForRedisLoss(connection: Redis, markerKey: string, recover: () => Promise<void>, logger: Logger): Promise<{ stop(): void }> {
  await connection.set(markerKey, String(Date.now()));
  let checking: Promise<void> = Promise.resolve();
  const check = async () => {
    if ((await connection.exists(markerKey)) === 1) return;
    logger.error({ markerKey }, 'Redis came back without the queues (restarted empty, or flushed): queuing in-flight work again from the ledger');
    await connection.set(markerKey, String(Date.now()));
    await recover();
  };
  const onReady = () => {
    // One check at a time: a flapping connection must not run recovery twice at once.
    checking = checking.then(check).catch((error: unknown) => logger.error({ err: error }, 'recovery after a Redis loss failed; a restart of the gateway queues the work again'));
  };
  connection.on('ready', onReady);
  return {
    stop: () => void connection.off('ready', onReady),
  };
}
