import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.ts';
import { throttledLog } from '../../src/log/throttled-log.ts';
import { PipelineQueues } from '../../src/pipeline/queues.ts';
import { freePort } from '../support/free-port.ts';

describe('Redis errors while Redis is away', () => {
  it('are logged once per interval, the later ones counted on the next line', () => {
    const lines: Record<string, unknown>[] = [];
    let clock = 0;
    const log = throttledLog((fields) => lines.push(fields), 1000, () => clock);
    log({ n: 1 }, 'x');
    clock = 200;
    log({ n: 2 }, 'x');
    clock = 900;
    log({ n: 3 }, 'x');
    clock = 1500;
    log({ n: 4 }, 'x');
    expect(lines).toEqual([{ n: 1 }, { n: 4, suppressed: 2 }]);
  });

  it('the queues\' connection logs one JSON line for a Redis that does not answer, not a stack trace per reconnect on stderr', async () => {
    const lines: string[] = [];
    const destination = new Writable({ write: (chunk, _encoding, done) => (lines.push(...String(chunk).trim().split('\n')), done()) });
    const queues = new PipelineQueues({ redisUrl: `redis://127.0.0.1:${await freePort()}`, prefix: '{redis-errors-test}', logger: createLogger({ level: 'info', destination }) });
    try {
      // ioredis retries every few hundred ms: several failures happen in this time.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      // A listener of ours: ioredis prints "[ioredis] Unhandled error event" to stderr only when there is none.
      expect(queues.connection.listenerCount('error')).toBeGreaterThan(0);
      const errors = lines.map((line) => JSON.parse(line) as { msg: string }).filter((line) => line.msg.startsWith('Redis connection error'));
      expect(errors).toHaveLength(1);
    } finally {
      queues.connection.disconnect();
    }
  });
});
