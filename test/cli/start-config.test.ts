import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deleteQueueKeys, testQueuePrefix, TEST_REDIS_URL } from '../support/redis.ts';

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
});
