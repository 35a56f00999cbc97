import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log/logger.ts';
import { redisConnection } from '../../src/pipeline/queues.ts';
import { watchForRedisLoss } from '../../src/pipeline/redis-loss.ts';
import { deleteQueueKeys, testQueuePrefix, TEST_REDIS_URL } from '../support/redis.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * A gateway that only reconnected to a Redis restarted empty left every in-flight document QUEUED with no job,
 * until someone restarted it: recovery ran at start-up only.
 */
describe('a Redis that comes back without the queues', () => {
  const prefix = testQueuePrefix();
  const connection = redisConnection(TEST_REDIS_URL);
  afterAll(async () => {
    await deleteQueueKeys(prefix);
    connection.disconnect();
  });

  it('runs recovery at the reconnect that finds the marker gone, and not at one that finds it', async () => {
    let recoveries = 0;
    const key = `${prefix}:alive`;
    const watch = await watchForRedisLoss(connection, key, async () => void recoveries++, silentLogger);
    const reconnect = async () => {
      const ready = new Promise((resolve) => connection.once('ready', resolve));
      connection.disconnect(true);
      await ready;
    };
    await reconnect();
    // Give the check after the reconnect its round trip.
    await connection.ping();
    await connection.ping();
    expect(recoveries).toBe(0);

    await connection.del(key);
    await reconnect();
    await waitFor('recovery to run', () => (recoveries === 1 ? true : undefined), 5000, 20);
    expect(await connection.exists(key)).toBe(1);
    watch.stop();
  });
});
