import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pingRedis } from '../../src/runtime/ensure-redis.ts';
import { freePort } from '../support/free-port.ts';
import { deleteQueueKeys, testQueuePrefix, TEST_REDIS_URL } from '../support/redis.ts';
import { ADMIN_DATABASE_URL } from '../support/stores.ts';

const ROOT = join(import.meta.dirname, '..', '..');

let dataDir: string;
let prefix: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'intake-start-config-'));
  prefix = testQueuePrefix();
});
afterEach(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  await deleteQueueKeys(prefix);
});

/** `intake start` as an operator runs it, with only the given settings besides a data folder of the test's own. */
function start(env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: dataDir, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix, PORT: '0', GATEWAY_PORT: '0', SFTP_PORT: '0', LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('intake start refuses bad settings with one line naming the variable', () => {
  it('ENGINE_URL without client credentials: exit 2 naming ENGINE_CLIENT_ID and ENGINE_CLIENT_SECRET, no stack trace', () => {
    const run = start({ ENGINE_URL: 'http://127.0.0.1:1' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^intake: invalid configuration: ENGINE_CLIENT_ID="": required when ENGINE_URL is set.*ENGINE_CLIENT_SECRET=\(hidden\)/);
    expect(run.stderr).not.toMatch(/ZodError|\n\s+at /);
  });

  it('a MAPPINGS_DIR that does not exist: exit 2 naming MAPPINGS_DIR and the folder, instead of running with no customers', () => {
    const missing = join(dataDir, 'no-such-mappings');
    const run = start({ MAPPINGS_DIR: missing });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`intake: invalid configuration: MAPPINGS_DIR=${JSON.stringify(missing)}: no such folder`);
    expect(run.stdout).not.toContain('intake-gateway running');
  });

  it('a DROP_DIR that is a regular file: exit 2 naming DROP_DIR, instead of a drop-folder poll failing every second', () => {
    const file = join(dataDir, 'not-a-folder');
    writeFileSync(file, 'x');
    const run = start({ DROP_DIR: file });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(`intake: invalid configuration: DROP_DIR=${JSON.stringify(file)}: ${file} is a file, not a folder: the customers' drop folders are kept there\n`);
    expect(run.stdout).not.toContain('intake-gateway running');
    }, 60_000);

  it('a HOST name that does not resolve: exit 2, one line naming HOST, no stack trace', () => {
    const run = start({ HOST: 'no.such.host.invalid' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^intake: invalid configuration: HOST="no.such.host.invalid": no such host name[^\n]*\n$/);
  }, 60_000);
});

/** A DATABASE_URL on the test server with a password no code path could produce by chance (a trust login never asks for it). */
function databaseUrl(change: (url: URL) => void): URL {
  const url = new URL(ADMIN_DATABASE_URL);
  url.password ||= 'S3CR3T-database-password';
  change(url);
  return url;
}

describe('intake start stops with one line naming DATABASE_URL when it cannot use that database', () => {
  const expectOneLine = (run: ReturnType<typeof start>, url: URL, reason: RegExp) => {
    expect(run.status).toBe(2);
    const redacted = new URL(url);
    redacted.password = 'redacted';
    expect(run.stderr).toMatch(/^intake: [^\n]*\n$/);
    expect(run.stderr).toContain(`DATABASE_URL="${redacted}": cannot use the PostgreSQL database there: `);
    expect(run.stderr).toMatch(reason);
    expect(run.stderr).not.toContain(url.password);
    expect(run.stderr + run.stdout).not.toMatch(/\n\s+at |error: |severity/);
  };

  it('a database that does not exist', () => {
    const url = databaseUrl((u) => (u.pathname = '/intake_no_such_database'));
    expectOneLine(start({ DATABASE_URL: url.toString() }), url, /database "intake_no_such_database" does not exist\n$/);
  }, 60_000);

  it('a login the server refuses', () => {
    const url = databaseUrl((u) => (u.username = 'intake_no_such_role'));
    expectOneLine(start({ DATABASE_URL: url.toString() }), url, /role "intake_no_such_role" does not exist|password authentication failed/);
  }, 60_000);

  it('no server listening there', async () => {
    const port = String(await freePort());
    const url = databaseUrl((u) => (u.port = port));
    expectOneLine(start({ DATABASE_URL: url.toString() }), url, /ECONNREFUSED/);
  }, 60_000);
});

describe('intake start makes DATA_DIR private', () => {
  it('a DATA_DIR other users could enter is mode 0700 after a start, first thing, with a log line saying so', () => {
    chmodSync(dataDir, 0o755);
    // The start then stops at the database: DATA_DIR is made private before anything can fail.
    const run = start({ LOG_LEVEL: 'info', DATABASE_URL: databaseUrl((u) => (u.pathname = '/intake_no_such_database')).toString() });
    expect(run.status).toBe(2);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(run.stdout).toContain('was open to other users (mode 0755): made 0700');
  }, 60_000);
});

describe('intake start on a port another process holds', () => {
  it('stops with one line naming the port and its variable, and stops the private Redis it had started', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '0.0.0.0', resolve));
    const taken = (blocker.address() as AddressInfo).port;
    const redisUrl = `redis://127.0.0.1:${await freePort()}`;
    try {
      const run = start({ REDIS_URL: redisUrl, GATEWAY_PORT: String(taken) });
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(new RegExp(`^intake: port ${taken} is already in use \\(GATEWAY_PORT\\)`));
      expect(run.stderr).not.toMatch(/\n\s+at /);
      // It had started a redis-server of its own on that address; a failed start must not leave it running.
      expect(await pingRedis(redisUrl, 500)).toBe(false);
    } finally {
      blocker.close();
    }
  }, 90_000);
});
