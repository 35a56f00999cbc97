import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { configErrorOf } from '../config/env.ts';
import { redactUrlCredentials, type Logger } from '../log/logger.ts';

export interface RedisHandle {
  url: string;
  /** True when this process started a private redis-server (stopped by `close`). */
  started: boolean;
  close(): Promise<void>;
}

export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
}

/**
 * What answers at `url`: a Redis that takes our PING, or why not. `listening` is false only when nothing accepts a
 * connection there (ECONNREFUSED): a Redis that refuses the login, or another server, is something listening.
 * Never retries: this is a probe, not a connection.
 */
export async function probeRedis(url: string, timeoutMs = 1500): Promise<{ ok: true } | { ok: false; listening: boolean; reason: string }> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, commandTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // ioredis rejects connect() with "Connection is closed." after emitting the cause (WRONGPASS, ECONNREFUSED…).
  let cause: NodeJS.ErrnoException | undefined;
  client.on('error', (error: NodeJS.ErrnoException) => void (cause ??= error));
  try {
    await client.connect();
    const reply = await client.ping();
    return reply === 'PONG' ? { ok: true } : { ok: false, listening: true, reason: `PING answered ${reply}` };
  } catch (error) {
    const failure = cause ?? (error as NodeJS.ErrnoException);
    return { ok: false, listening: failure.code !== 'ECONNREFUSED', reason: failure.message };
  } finally {
    client.disconnect();
  }
}

/** Answers PING within the timeout, or false. */
export async function pingRedis(url: string, timeoutMs = 1500): Promise<boolean> {
  return (await probeRedis(url, timeoutMs)).ok;
}

/** Redis's replies to a login it refuses: a wrong user or password, none given, or a user without PING. */
const LOGIN_REFUSED = /^(WRONGPASS|NOAUTH|NOPERM)\b/;

function redisServerOnPath(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

function isLocalHost(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host === '[::1]';
}

/**
 * `npm start` needs Redis. Use the one at REDIS_URL; if nothing listens there at all, the URL points at this
 * machine and `redis-server` is installed, start a private one under the data directory (AOF on, noeviction, as
 * BullMQ requires); otherwise fail with one line that says why: a refused login names REDIS_URL.
 */
export async function ensureRedis(url: string, dataDir: string, logger: Logger): Promise<RedisHandle> {
  const probe = await probeRedis(url);
  if (probe.ok) return { url, started: false, close: async () => undefined };
  if (LOGIN_REFUSED.test(probe.reason)) {
    throw configErrorOf([{ variable: 'REDIS_URL', message: `the Redis there refuses the login (${probe.reason}): give its user and password, redis://user:password@host:port` }], { REDIS_URL: url });
  }
  const parsed = new URL(url);
  const local = isLocalHost(parsed.hostname);
  // The port is taken: a private redis-server could not listen there, and would only wait for its own start to fail.
  if (local && probe.listening) {
    throw new RedisUnavailableError(
      `something answers at ${redactUrlCredentials(url)} but not as Redis does (${probe.reason}): stop what listens there, or set REDIS_URL to a Redis.`,
    );
  }
  if (!local || !redisServerOnPath()) {
    throw new RedisUnavailableError(
      `Redis is not answering at ${redactUrlCredentials(url)} (${probe.reason}). Start one with \`docker compose up -d redis\` or install the OS package (\`apt-get install redis-server\`), or set REDIS_URL.`,
    );
  }
  const port = parsed.port || '6379';
  const dir = resolve(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', port, '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--maxmemory-policy', 'noeviction', '--save', ''],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  for (let i = 0; i < 50 && !exited; i++) {
    if (await pingRedis(url, 500)) {
      logger.info({ url: redactUrlCredentials(url), dir, pid: child.pid }, 'started a private redis-server under the data directory');
      return {
        url,
        started: true,
        close: () =>
          new Promise<void>((done) => {
            if (exited) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new RedisUnavailableError(`Redis is not answering at ${redactUrlCredentials(url)} and a private redis-server on port ${port} did not start.`);
}
