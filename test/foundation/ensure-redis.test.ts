import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/free-port.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log/logger.ts';
import { ConfigError } from '../../src/config/env.ts';
import { RedisUnavailableError, ensureRedis, pingRedis, type RedisHandle } from '../../src/runtime/ensure-redis.ts';
import { waitFor } from '../support/wait-for.ts';

/** The error `ensureRedis` stops with (a start that succeeds fails the test). */
async function refusal(attempt: Promise<RedisHandle>): Promise<Error> {
  const handle = await attempt.catch((error: unknown) => error as Error);
  if (handle instanceof Error) return handle;
  await handle.close();
  throw new Error(`ensureRedis started, using ${handle.url}`);
}

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

  it('a Redis that refuses the login (WRONGPASS) stops with one line naming REDIS_URL and the reason, password hidden, and starts none of its own', async () => {
    const dir = mkdtempSync(join(dataDir, 'wrongpass-'));
    const error = await refusal(ensureRedis('redis://nobody:S3CR3T-wrongpw@127.0.0.1:6379', dir, silentLogger));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/REDIS_URL="redis:\/\/nobody:redacted@127.0.0.1:6379": .*WRONGPASS/);
    expect(error.message).not.toContain('S3CR3T');
    expect(error.message).not.toContain('\n');
    // The private redis-server's folder: made only when one is started.
    expect(existsSync(join(dir, 'redis'))).toBe(false);
  });

  it('a Redis that wants a password REDIS_URL does not give (NOAUTH) names REDIS_URL and the reason', async () => {
    const port = await freePort();
    const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--requirepass', 'S3CR3T-required', '--save', ''], { stdio: 'ignore' });
    try {
      await waitFor('the password-protected redis-server', async () => ((await pingRedis(`redis://:S3CR3T-required@127.0.0.1:${port}`, 500)) ? true : undefined), 15_000);
      const dir = mkdtempSync(join(dataDir, 'noauth-'));
      const error = await refusal(ensureRedis(`redis://127.0.0.1:${port}`, dir, silentLogger));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toMatch(new RegExp(`REDIS_URL="redis://127.0.0.1:${port}": .*NOAUTH`));
      expect(existsSync(join(dir, 'redis'))).toBe(false);
    } finally {
      server.kill('SIGKILL');
    }
  });

  it('something other than Redis on that port: no private redis-server is tried on it, the error says what answered', async () => {
    const notRedis: Server = createServer((socket) => socket.on('data', () => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n')));
    await new Promise<void>((resolve) => notRedis.listen(0, '127.0.0.1', resolve));
    const port = (notRedis.address() as { port: number }).port;
    try {
      const dir = mkdtempSync(join(dataDir, 'not-redis-'));
      const error = await refusal(ensureRedis(`redis://127.0.0.1:${port}`, dir, silentLogger));
      expect(error).toBeInstanceOf(RedisUnavailableError);
      expect(error.message).toMatch(new RegExp(`something answers at redis://127.0.0.1:${port} but not as Redis`));
      expect(existsSync(join(dir, 'redis'))).toBe(false);
    } finally {
      notRedis.close();
    }
  });
});
