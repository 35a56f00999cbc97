import { describe, expect, it } from 'vitest';
import { redactUrlCredentials } from '../../src/log/logger.ts';
import { ensureRedis } from '../../src/runtime/ensure-redis.ts';
import { silentLogger } from '../../src/log/logger.ts';

describe('URLs in log lines and messages', () => {
  it('hide the password of REDIS_URL / DATABASE_URL, keep the rest, and leave other text alone', () => {
    expect(redactUrlCredentials('redis://default:s3cret@cache.internal:6380/2')).toBe('redis://default:redacted@cache.internal:6380/2');
    expect(redactUrlCredentials('postgres://app:p%40ss@db:5432/intake')).toBe('postgres://app:redacted@db:5432/intake');
    expect(redactUrlCredentials('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(redactUrlCredentials('not a url')).toBe('not a url');
  });

  it('a Redis that does not answer is named without its password', async () => {
    // A host that is not this machine: ensureRedis does not try to start one, it says how to get one.
    const error = await ensureRedis('redis://u:topsecret@192.0.2.1:6379', '/tmp', silentLogger).catch((e: unknown) => e as Error);
    expect(String(error)).toContain('192.0.2.1');
    expect(String(error)).not.toContain('topsecret');
  }, 20_000);
});
