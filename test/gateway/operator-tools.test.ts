import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSftpPassword } from '../../src/channels/sftp-server/index.ts';
import type { FastifyInstance } from 'fastify';
import { buildGatewayApp } from '../../src/gateway/http/gateway-app.ts';
import { GatewayMetrics } from '../../src/gateway/metrics.ts';
import { loadOpsToken } from '../../src/gateway/ops-token.ts';
import { recordReceivedFile } from '../../src/ledger/files-repo.ts';
import { migrateLedger } from '../../src/ledger/migrations.ts';
import { openDb, type Db } from '../../src/store/db.ts';
import type { FileStory } from '../../src/ledger/file-story.ts';
import { createLogger, silentLogger } from '../../src/log/logger.ts';
import { freePort } from '../support/free-port.ts';
import { orderCsvMapping } from '../support/order-csv-mapping.ts';
import { TestRedisServer } from '../support/redis-server.ts';
import { startProduct, type RunningProduct } from '../support/running-product.ts';
import { createPostgresDatabase } from '../support/stores.ts';
import { waitFor } from '../support/wait-for.ts';
import { runCli } from '../support/run-cli.ts';

const CLI = join(import.meta.dirname, '../../src/cli/main.ts');


/** One line an operator can act on: no stack trace, no Node internals. */
function expectOneLine(stderr: string): void {
  expect(stderr.trim().split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at |node:internal|file:\/\//);
}


describe('the operator tools against a running gateway', () => {
  let product: RunningProduct;
  let redis: TestRedisServer;
  let mappingsDir: string;
  const logLines: string[] = [];
  const logged = () => logLines.map((line) => JSON.parse(line) as Record<string, unknown>);

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    mappingsDir = mkdtempSync(join(tmpdir(), 'intake-operator-'));
    mkdirSync(join(mappingsDir, 'goodco'));
    const sftp = (username: string) => `channels:\n  sftp:\n    username: ${username}\n    passwordHashes: ["${passwordHash}"]\n`;
    const passwordHash = await hashSftpPassword('a long enough password');
    writeFileSync(join(mappingsDir, 'goodco', 'customer.yaml'), `business: kargo\nfacility: sf\ndirection: INBOUND\n${sftp('goodco')}`);
    // Two customers claiming one SFTP username: neither gets it, nobody else is affected.
    for (const claimant of ['twina', 'twinb']) {
      mkdirSync(join(mappingsDir, claimant));
      writeFileSync(join(mappingsDir, claimant, 'customer.yaml'), `business: kargo\nfacility: sf\ndirection: INBOUND\n${sftp('twins')}`);
    }
    writeFileSync(join(mappingsDir, 'goodco', 'orders.yaml'), orderCsvMapping());
    // A typo in one customer's customer.yaml (line 3).
    mkdirSync(join(mappingsDir, 'brokenco'));
    writeFileSync(join(mappingsDir, 'brokenco', 'customer.yaml'), 'business: kargo\nfacility: sf\ndirection: SIDEWAYS\n');
    const destination = new Writable({ write: (chunk, _encoding, done) => (logLines.push(...String(chunk).trim().split('\n')), done()) });
    product = await startProduct({ mappingsDir, env: { REDIS_URL: redis.url }, logger: createLogger({ level: 'info', destination }) });
  }, 120_000);
  afterAll(async () => {
    if (redis && !redis.running) await redis.restart();
    await product?.stop();
    await redis?.stop();
    rmSync(mappingsDir, { recursive: true, force: true });
  }, 60_000);

  const cliEnv = () => ({ DATA_DIR: product.dataDir, GATEWAY_URL: product.gateway.url! });

  async function submitAndFinish(name: string): Promise<FileStory> {
    const sample = join(mappingsDir, name);
    writeFileSync(sample, `order,shipment,lpn,sku,qty,unit\n${name},${name},L1,S1,3,CASE\n`);
    const submitted = await runCli(['submit', '--customer', 'goodco', sample, '--wait', '--timeout', '60'], cliEnv());
    expect(submitted.code, submitted.stderr).toBe(0);
    const fileId = /received as (\S+)/.exec(submitted.stdout)![1]!;
    return (await product.gateway.app!.inject({ url: `/ops/files/${fileId}`, headers: { authorization: `Bearer ${loadOpsToken(product.dataDir)}` } })).json() as FileStory;
  }

  it("starts with one customer's customer.yaml broken, naming its file, line and field, and serves the others", async () => {
    const story = await submitAndFinish('first.csv');
    expect(story.file).toMatchObject({ customer: 'goodco', state: 'COMPLETED' });
    const error = logged().find((line) => line.customer === 'brokenco' && line.level === 50);
    expect(error?.msg).toMatch(/brokenco\/customer\.yaml:3:\d+ direction: /);
    expect(error?.code).toBe('CUSTOMER_INVALID_CONFIG');
  }, 90_000);

  it('starts with two customers claiming one SFTP username: an error naming both, their account off, the others on', () => {
    const error = logged().find((line) => line.code === 'SFTP_ACCOUNT_DUPLICATE_USERNAME');
    expect(error).toMatchObject({ level: 50, customers: ['twina', 'twinb'] });
    expect(error?.msg).toMatch(/SFTP username "twins" is claimed by customers "twina" and "twinb"/);
    expect(logged().find((line) => line.msg === 'sftp server listening')).toMatchObject({ accounts: 1 });
  });

  it('refuses a real replay of a file that is still on its way (409 FILE_IN_PROGRESS), and takes it with --force', async () => {
    const story = await submitAndFinish('again.csv');
    // As if its documents were still being submitted.
    await product.db.query("UPDATE gateway.files SET state = 'SUBMITTING' WHERE id = $1", [story.file.id]);
    const refused = await runCli(['files', 'replay', story.file.id], cliEnv());
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/FILE_IN_PROGRESS.*SUBMITTING/);
    expectOneLine(refused.stderr);
    const dryRun = await runCli(['files', 'replay', story.file.id, '--dry-run'], cliEnv());
    expect(dryRun.code, dryRun.stderr).toBe(0);
    const forced = await runCli(['files', 'replay', story.file.id, '--force'], cliEnv());
    expect(forced.code, forced.stderr).toBe(0);
    const replayId = /replaying \S+ as (\S+):/.exec(forced.stdout)![1]!;
    const replay = await waitFor('the replay to finish', async () => {
      const replayed = (await product.gateway.app!.inject({ url: `/ops/files/${replayId}`, headers: { authorization: `Bearer ${loadOpsToken(product.dataDir)}` } })).json() as FileStory;
      return replayed.file.finishedAt && replayed.deliveries.every((d) => d.state === 'DELIVERED') ? replayed : undefined;
    }, 30_000, 100);
    expect(replay.file).toMatchObject({ replayOf: story.file.id, state: 'COMPLETED' });
  }, 90_000);

  it('shows how far a file on its way is: `files show` and `files list` print "done of all" with the outcomes so far', async () => {
    const sample = join(mappingsDir, 'two-orders.csv');
    writeFileSync(sample, 'order,shipment,lpn,sku,qty,unit\nP1,P1,L1,S1,3,CASE\nP2,P2,L2,S2,4,CASE\n');
    const submitted = await runCli(['submit', '--customer', 'goodco', sample, '--wait', '--timeout', '60'], cliEnv());
    expect(submitted.code, submitted.stderr).toBe(0);
    const fileId = /received as (\S+)/.exec(submitted.stdout)![1]!;
    // As if the second document were still on its way to the engine.
    await product.db.query("UPDATE gateway.files SET state = 'SUBMITTING' WHERE id = $1", [fileId]);
    await product.db.query("UPDATE gateway.documents SET state = 'QUEUED' WHERE file_id = $1 AND order_number = 'P2'", [fileId]);
    const shown = await runCli(['files', 'show', fileId], cliEnv());
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^documents: 1\/2 done \(1 accepted\)\n\s+#/m);
    const listed = await runCli(['files', 'list', '--customer', 'goodco'], cliEnv());
    expect(listed.stdout.split('\n').find((line) => line.startsWith(fileId))).toMatch(/SUBMITTING.*two-orders\.csv {2}\[1\/2 done \(1 accepted\)\]$/);
  }, 90_000);

  it('`intake files list --limit 5000` says on stderr that the gateway lists at most 1000, instead of cutting the list silently', async () => {
    const listed = await runCli(['files', 'list', '--limit', '5000'], cliEnv());
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stderr).toMatch(/^intake: the gateway lists at most 1000 files, not 5000/);
  }, 30_000);

  it('an `intake` command run with another DATA_DIR says where it looked for the token, and writes none there', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'intake-other-data-'));
    try {
      const result = await runCli(['files', 'list'], { DATA_DIR: elsewhere, GATEWAY_URL: product.gateway.url! });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`there is none at ${join(elsewhere, 'ops.token')}`);
      expectOneLine(result.stderr);
      expect(existsSync(join(elsewhere, 'ops.token'))).toBe(false);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  }, 30_000);

  it('answers /readyz 503 naming Redis within seconds while Redis is down, and /metrics still answers with the ledger counts', async () => {
    await redis.kill();
    try {
      const started = Date.now();
      const ready = await product.gateway.app!.inject({ url: '/readyz' });
      expect(Date.now() - started).toBeLessThan(5000);
      expect(ready.statusCode).toBe(503);
      expect(ready.json().checks).toMatchObject({ store: { ok: true }, engine: { ok: true }, redis: { ok: false, detail: expect.stringMatching(/Redis|no answer/) } });
      const scrapeStarted = Date.now();
      const metrics = await product.gateway.app!.inject({ url: '/metrics' });
      expect(Date.now() - scrapeStarted).toBeLessThan(5000);
      expect(metrics.statusCode).toBe(200);
      expect(metrics.body).toMatch(/# TYPE intake_files gauge/);
    } finally {
      await redis.restart();
    }
    await waitFor('ready again', async () => ((await product.gateway.app!.inject({ url: '/readyz' })).statusCode === 200 ? true : undefined), 30_000, 200);
  }, 90_000);
});

describe('the intake CLI when something is wrong', () => {
  let notTheGateway: Server;
  let notTheGatewayUrl: string;
  const dataDir = mkdtempSync(join(tmpdir(), 'intake-cli-'));
  beforeAll(async () => {
    // What a reverse proxy answers when the gateway behind it is down.
    notTheGateway = createServer((_request, response) => response.writeHead(502, { 'content-type': 'text/html' }).end('<html><body><h1>502 Bad Gateway</h1></body></html>'));
    await new Promise<void>((resolve) => notTheGateway.listen(0, '127.0.0.1', resolve));
    const address = notTheGateway.address();
    notTheGatewayUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => notTheGateway.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('`intake mapping preview … | head -1` ends quietly when the reader closes the pipe (no EPIPE stack trace)', async () => {
    const rows = Array.from({ length: 4000 }, (_, i) => `NW-${20000 + i},PO-${i},SHOP,03/04/2025,D1,00345678901234${String(i).padStart(4, '0')},SKU-${i},Thing,1,CS,`);
    const file = join(dataDir, 'orders_big.csv');
    writeFileSync(file, `Order No,PO Number,Ship To,Ship Date,Dock,Pallet,SKU,Description,Qty,UOM,Status\n${rows.join('\n')}\n`);
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'mapping', 'preview', '--customer', 'northwind', file], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += String(chunk)));
      // What `head -1` does: read the first chunk, then close the pipe.
      child.stdout.once('data', () => child.stdout.destroy());
      child.once('exit', (code) => resolve({ code, stderr }));
    });
    expect(stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(code).toBe(0);
  }, 60_000);

  it('`intake submit` of a file that does not exist says so in one line and exits 2', async () => {
    const result = await runCli(['submit', '--customer', 'goodco', join(dataDir, 'no-such.csv')], { DATA_DIR: dataDir, GATEWAY_URL: notTheGatewayUrl });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^intake: cannot read .*no-such\.csv: no such file/);
    expectOneLine(result.stderr);
  }, 30_000);

  it('`intake submit --timeout` that is not a number is refused before anything is sent (it waited forever)', async () => {
    const file = join(dataDir, 'a.csv');
    writeFileSync(file, 'x\n');
    const result = await runCli(['submit', '--customer', 'goodco', file, '--wait', '--timeout', '5m'], { DATA_DIR: dataDir, GATEWAY_URL: notTheGatewayUrl });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/--timeout.*'5m' is invalid/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 30_000);

  it('`intake files list` against something that is not the gateway (an HTML 502) says so in one line and exits 2', async () => {
    const result = await runCli(['files', 'list'], { DATA_DIR: dataDir, GATEWAY_URL: notTheGatewayUrl });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^intake: GET .*\/ops\/files.* answered 502 .*GATEWAY_URL/);
    expectOneLine(result.stderr);
  }, 30_000);

  it('`intake files show` with the gateway not running says where it looked and exits 2', async () => {
    const result = await runCli(['files', 'show', 'some-id'], { DATA_DIR: dataDir, GATEWAY_URL: `http://127.0.0.1:${await freePort()}` });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^intake: the gateway is not answering at http:\/\/127\.0\.0\.1:\d+/);
    expectOneLine(result.stderr);
  }, 30_000);
});

describe('the operations API and `intake` when something fails on the gateway side', () => {
  const opsToken = 'an ops token of the test, long enough';
  const dataDir = mkdtempSync(join(tmpdir(), 'intake-cli-store-'));
  let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let db: Db;
  let app: FastifyInstance;
  let cliEnv: Record<string, string>;
  const unused = () => Promise.reject(new Error('not used by this test'));
  beforeAll(async () => {
    database = await createPostgresDatabase();
    db = await openDb({ kind: 'postgres', url: database.url });
    await migrateLedger(db);
    await recordReceivedFile(db, { fileId: 'f_never_done', customer: 'acme', channel: 'cli', originalName: 'a.csv', sender: '', sizeBytes: 1, sha256: 'x', receivedAt: new Date().toISOString() }, '/spool/a', { duplicateWindowHours: 0 });
    app = buildGatewayApp({
      db,
      logger: silentLogger,
      metrics: new GatewayMetrics({ db, queueDepths: async () => ({}) }),
      opsToken,
      // A file that is received and then never moves on: what `submit --wait` sees of a long one.
      inbox: { receive: async () => ({ fileId: 'f_never_done', state: 'QUEUED', sha256: 'x', sizeBytes: 1 }) },
      readiness: async () => ({}),
      // A fault of ours while the store answers.
      replay: () => Promise.reject(new Error('replay broke')),
      regress: unused,
      customers: () => ['acme'],
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    cliEnv = { DATA_DIR: dataDir, OPS_TOKEN: opsToken, GATEWAY_URL: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` };
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await db?.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a 500 with the store answering: `intake` prints the Correlation-Id the detail asks to quote', async () => {
    const result = await runCli(['files', 'replay', 'f_some_file', '--dry-run'], cliEnv);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^intake: 500 INTERNAL_ERROR: .*Quote the Correlation-Id.* \(Correlation-Id: [0-9a-f-]{36}\)$/m);
    expectOneLine(result.stderr);
  }, 30_000);

  it('`intake submit --wait` on a file that takes long prints its progress on stderr while it waits (not a terminal: every 10 s)', async () => {
    const file = join(dataDir, 'a.csv');
    writeFileSync(file, 'x\n');
    const result = await runCli(['submit', '--customer', 'acme', file, '--wait', '--timeout', '11'], cliEnv);
    expect(result.stderr).toMatch(/^f_never_done RECEIVED: 0\/0 done$/m);
    expect(result.stderr).toMatch(/^intake: timed out after 11 s waiting for f_never_done/m);
    expect(result.code).toBe(2);
  }, 60_000);

  it('the store down: 503 STORE_UNAVAILABLE with Retry-After, and `intake files list` says so with the Correlation-Id', async () => {
    await database.drop();
    const answer = await app.inject({ url: '/ops/files', headers: { authorization: `Bearer ${opsToken}` } });
    expect(answer.statusCode).toBe(503);
    expect(answer.headers['retry-after']).toMatch(/^\d+$/);
    expect(answer.json()).toMatchObject({ code: 'STORE_UNAVAILABLE', detail: expect.stringMatching(/store/) });
    const result = await runCli(['files', 'list'], cliEnv);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^intake: 503 STORE_UNAVAILABLE: The store .* \(Correlation-Id: [0-9a-f-]{36}\)$/m);
    expectOneLine(result.stderr);
  }, 30_000);
});
