import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/free-port.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log/logger.ts';
import { RedisUnavailableError, ensureRedis, pingRedis } from '../../src/runtime/ensure-redis.ts';


describe('ensureRedis', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'intake-redis-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('uses a Redis that already answers and leaves it alone', async () => {
    const handle = await ensureRedis('redis://127.0.0.1:6379', dataDir, silentLogger);
    expect(handle.started).toBe(false);
    await handle.close();
    expect(await pingRedis('redis://127.0.0.1:6379')).toBe(true);
  });

  it('starts a private redis-server under the data directory when nothing answers, and stops it on close', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const handle = await ensureRedis(url, dataDir, silentLogger);
    expect(handle.started).toBe(true);
    expect(await pingRedis(url)).toBe(true);
    await handle.close();
    expect(await pingRedis(url, 300)).toBe(false);
  });

  it('names how to get one when nothing answers and redis-server is not installed', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const path = process.env.PATH;
    process.env.PATH = dataDir; // a PATH without redis-server
    try {
      const attempt = ensureRedis(url, dataDir, silentLogger);
      await expect(attempt).rejects.toThrow(RedisUnavailableError);
      await expect(attempt).rejects.toThrow(/docker compose up -d redis/);
    } finally {
      process.env.PATH = path;
    }
  });
});
