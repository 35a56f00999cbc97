import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
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

/** Answers PING within the timeout, or false. Never retries: this is a probe, not a connection. */
export async function pingRedis(url: string, timeoutMs = 1500): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

function redisServerOnPath(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

function isLocalHost(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host === '[::1]';
}

/**
 * `npm start` needs Redis. Use the one at REDIS_URL; if nothing answers there, the URL points at this machine
 * and `redis-server` is installed, start a private one under the data directory (AOF on, noeviction, as BullMQ
 * requires); otherwise fail with one line that says how to get one.
 */
export async function ensureRedis(url: string, dataDir: string, logger: Logger): Promise<RedisHandle> {
  if (await pingRedis(url)) return { url, started: false, close: async () => undefined };
  const parsed = new URL(url);
  if (!isLocalHost(parsed.hostname) || !redisServerOnPath()) {
    throw new RedisUnavailableError(
      `Redis is not answering at ${redactUrlCredentials(url)}. Start one with \`docker compose up -d redis\` or install the OS package (\`apt-get install redis-server\`), or set REDIS_URL.`,
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
