import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectClient } from '../channels/sftp-server/sftp-test-peers.ts';
import { freePort, spawnIntake, type IntakeProcess } from '../support/pipeline-processes.ts';
import { deleteQueueKeys, testQueuePrefix, TEST_REDIS_URL } from '../support/redis.ts';

/** The credentials README publishes for the demo (mappings/northwind/customer.yaml holds their hashes). */
const DEMO = { clientId: 'demo-client', clientSecret: 'demo-secret', sftpUser: 'northwind', sftpPassword: 'northwind-demo', httpToken: 'northwind-demo-token' };

describe('intake start and the demo credentials', () => {
  const dir = mkdtempSync(join(tmpdir(), 'intake-start-demo-'));
  const prefix = testQueuePrefix();
  let product: IntakeProcess | undefined;
  afterAll(async () => {
    await product?.stop();
    await deleteQueueKeys(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  /** `intake start` on the repository's mappings/ and a DATA_DIR kept across starts; resolves once it runs. */
  async function start(name: string, env: Record<string, string> = {}) {
    const ports = { engine: await freePort(), gateway: await freePort(), sftp: await freePort() };
    product = spawnIntake(
      'start',
      name,
      { DATA_DIR: join(dir, 'data'), REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix, PORT: String(ports.engine), GATEWAY_PORT: String(ports.gateway), SFTP_PORT: String(ports.sftp), LOG_LEVEL: 'info', ...env },
      dir,
    );
    await product.waitForLine('intake-gateway running', 240_000);
    const token = await fetch(`http://127.0.0.1:${ports.engine}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: DEMO.clientId, client_secret: DEMO.clientSecret }),
    });
    const sftp = await connectClient(ports.sftp, DEMO.sftpUser, { password: DEMO.sftpPassword }).then(
      async (client) => (await client.end(), 'logged in'),
      (error: Error) => `refused: ${error.message}`,
    );
    // No file name: a token that is let in gets 400 and nothing is received.
    const http = await fetch(`http://127.0.0.1:${ports.gateway}/v1/inbound/northwind/files`, { method: 'POST', headers: { authorization: `Bearer ${DEMO.httpToken}` }, body: 'x' });
    const log = product.tail(2000);
    await product.stop();
    return { tokenStatus: token.status, sftp, httpStatus: http.status, log };
  }

  it('has them by default (the walk-through); ENGINE_DEMO=false refuses each, also those the earlier run left in its store', async () => {
    const demo = await start('start-demo');
    expect(demo).toMatchObject({ tokenStatus: 200, sftp: 'logged in', httpStatus: 400 });
    expect(demo.log).toContain(`password: ${DEMO.sftpPassword}`);

    const off = await start('start-demo-off', { ENGINE_DEMO: 'false' });
    expect(off.tokenStatus).toBe(401);
    expect(off.sftp).toMatch(/^refused: /);
    expect(off.httpStatus).toBe(401);
    expect(off.log).not.toContain(DEMO.sftpPassword);
    expect(off.log).toContain('demo API client \\"demo-client\\" removed: ENGINE_DEMO is off');
  }, 600_000);
});
