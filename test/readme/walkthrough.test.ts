import { waitFor } from '../support/wait-for.ts';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/free-port.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteQueueKeys, testQueuePrefix } from '../support/redis.ts';



/**
 * The README's walk-through, as written: `npm start` with its embedded defaults (PGlite store), a sample dropped
 * into a demo customer's folder, the result read from outbound/, the story told by `intake files`. Only the
 * ports, the data directory and the queue prefix are the test's own.
 */
describe('the README walk-through', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'intake-readme-'));
  const queuePrefix = testQueuePrefix();
  let env: NodeJS.ProcessEnv;
  let product: ChildProcess;
  let output = '';
  beforeAll(async () => {
    env = {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(await freePort()),
      GATEWAY_PORT: String(await freePort()),
      SFTP_PORT: String(await freePort()),
      QUEUE_PREFIX: queuePrefix,
      DROP_POLL_INTERVAL_MS: '200',
      DROP_MIN_AGE_MS: '200',
      LOG_LEVEL: 'info',
    };
    product = spawn('npm', ['start'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    product.stdout!.on('data', (chunk) => (output += String(chunk)));
    product.stderr!.on('data', (chunk) => (output += String(chunk)));
    await waitFor(
      'npm start to be ready',
      () =>
        fetch(`http://127.0.0.1:${env.GATEWAY_PORT}/readyz`).then(
          (response) => (response.ok ? true : undefined),
          () => undefined, // not listening yet
        ),
      120_000,
      250,
    );
  }, 150_000);
  afterAll(async () => {
    // The whole group, whether npm is still there or not: a product it left behind must not outlive the test.
    try {
      if (product?.pid) process.kill(-product.pid, 'SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
    await deleteQueueKeys(queuePrefix);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the demo SFTP command at start', async () => {
    // The demo accounts are announced once the SFTP server has them, which may come after /readyz answers.
    await waitFor('the demo SFTP command', () => (/sftp -P \d+ northwind@127\.0\.0\.1/.test(output) ? true : undefined), 30_000, 100);
    expect(output).toMatch(/sftp -P \d+ bluefin@127\.0\.0\.1/);
  });

  it('turns a sample dropped into a customer folder into a result in outbound/', async () => {
    copyFileSync('samples/northwind/orders_20250303.csv', join(dataDir, 'dropbox', 'northwind', 'inbound', 'orders_20250303.csv'));
    const result = join(dataDir, 'dropbox', 'northwind', 'outbound', 'orders_20250303.csv.result.csv');
    await waitFor(result, () => (existsSync(result) ? true : undefined), 90_000);
    const csv = readFileSync(result, 'utf8');
    expect(csv).toContain('ACCEPTED');
    // The README says so: the sample's one bad line is rejected with its place and reason.
    expect(csv).toMatch(/REJECTED.*line 7.*Qty.*expected a number, got ""ten""/);
  }, 120_000);

  it('tells the file story with `intake files list` and `intake files show`', () => {
    const list = spawnSync('npx', ['intake', 'files', 'list'], { env, encoding: 'utf8' });
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/northwind\s+PARTIAL/);
    const id = list.stdout.trim().split(/\s+/)[0]!;
    const show = spawnSync('npx', ['intake', 'files', 'show', id], { env, encoding: 'utf8' });
    // The sample ends PARTIAL (its one bad line): exit 1, as `intake --help` says, with the story on stdout.
    expect(show.status, show.stderr).toBe(1);
    expect(show.stdout).toContain('timeline:');
    expect(show.stdout).toMatch(/DELIVERED/);
  }, 60_000);

  it('takes the same sample over HTTP with the demo token, as the README shows, and answers it as a duplicate', async () => {
    const form = new FormData();
    form.append('file', new Blob([readFileSync('samples/northwind/orders_20250303.csv')]), 'orders_20250303.csv');
    const base = `http://127.0.0.1:${env.GATEWAY_PORT}`;
    const headers = { authorization: 'Bearer northwind-demo-token' };
    const response = await fetch(`${base}/v1/inbound/northwind/files`, { method: 'POST', headers, body: form });
    expect(response.status).toBe(202);
    const receipt = (await response.json()) as { state: string; statusUrl: string };
    expect(receipt.state).toBe('DUPLICATE');
    const status = await waitFor(
      'the HTTP file to be final',
      async () => {
        const body = (await (await fetch(`${base}${receipt.statusUrl}`, { headers })).json()) as { state: string; final: boolean };
        return body.final ? body : undefined;
      },
      60_000,
      250,
    );
    expect(status.state).toBe('DUPLICATE');
  }, 90_000);

  it('stops cleanly when npm alone gets SIGTERM (docker stop, kill <pid>), within the shutdown bound', async () => {
    // The product's own process, as its log lines name it: npm ran it through a shell (and tsx's relay once), and a
    // SIGTERM to npm ended npm and the shell but left the product running, orphaned, with its ports taken.
    const productPid = Number(/"pid":(\d+)/.exec(output)?.[1]);
    expect(productPid).toBeGreaterThan(0);
    const exited = new Promise<number | null>((resolve) => product.once('exit', (code) => resolve(code)));
    process.kill(product.pid!, 'SIGTERM');
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000))]);
    expect(code).not.toBe('timeout');
    const alive = () => {
      try {
        process.kill(productPid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await waitFor('the product process to end', () => (alive() ? undefined : true), 20_000, 100);
    expect(output).toContain('"msg":"stopped"');
    expect(output).not.toContain('shutdown took too long');
  }, 60_000);
});
