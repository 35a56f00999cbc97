import { Writable } from 'node:stream';
import { format } from 'node:util';
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

  it('the queues log one JSON line for a Redis that does not answer, and nothing reaches stderr (no stack trace per reconnect)', async () => {
    const lines: string[] = [];
    const destination = new Writable({ write: (chunk, _encoding, done) => (lines.push(...String(chunk).trim().split('\n')), done()) });
    const stderr = captureStderr();
    const queues = new PipelineQueues({ redisUrl: `redis://127.0.0.1:${await freePort()}`, prefix: '{redis-errors-test}', logger: createLogger({ level: 'info', destination }) });
    try {
      // ioredis retries every few hundred ms: several failures happen in this time.
      await new Promise((resolve) => setTimeout(resolve, 1500));
    } finally {
      queues.connection.disconnect();
      stderr.restore();
    }
    // ioredis prints "[ioredis] Unhandled error event" when its connection has no listener; bullmq console.errors
    // the error of each Queue that has none.
    expect(stderr.text()).toBe('');
    const errors = lines.map((line) => JSON.parse(line) as { msg: string }).filter((line) => line.msg.startsWith('Redis connection error'));
    expect(errors).toHaveLength(1);
  });
});

/** What this process writes to stderr, console.error included, until `restore`. */
function captureStderr() {
  const chunks: string[] = [];
  const { error } = console;
  const write = process.stderr.write;
  console.error = (...args: unknown[]) => void chunks.push(`${format(...args)}\n`);
  process.stderr.write = ((chunk: string | Uint8Array) => (chunks.push(String(chunk)), true)) as typeof process.stderr.write;
  return {
    text: () => chunks.join(''),
    restore() {
      console.error = error;
      process.stderr.write = write;
    },
  };
}
