import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerFilesCommands } from '../../src/cli/commands/files.ts';
import { CliError } from '../../src/cli/cli-error.ts';
import { ConfigError } from '../../src/config/env.ts';
import { buildGatewayApp } from '../../src/gateway/http/gateway-app.ts';
import { GatewayMetrics } from '../../src/gateway/metrics.ts';
import { recordReceivedFile } from '../../src/ledger/files-repo.ts';
import { migrateLedger } from '../../src/ledger/migrations.ts';
import type { ReplayResult } from '../../src/pipeline/replay.ts';
import { silentLogger } from '../../src/log/logger.ts';
import { createTestDb, type TestDatabase } from '../support/stores.ts';
import { runCli } from '../support/run-cli.ts';

const OPS_TOKEN = 'an ops token of the test, long enough';


/**
 * `intake files …` run in this process (a spawned run costs 1-2 s): the exit code the command sets, or 2 for the
 * CliError or ConfigError it throws, which main.ts prints in one line and exits 2 with.
 */
async function intake(args: string[]): Promise<{ code: number; stdout: string; error?: Error }> {
  const program = new Command('intake').exitOverride();
  registerFilesCommands(program);
  const printed: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...line: unknown[]) => void printed.push(line.join(' ')));
  try {
    await program.parseAsync(args, { from: 'user' });
    return { code: Number(process.exitCode ?? 0), stdout: printed.join('\n') };
  } catch (error) {
    if (error instanceof CliError || error instanceof ConfigError) return { code: 2, stdout: printed.join('\n'), error };
    throw error;
  } finally {
    log.mockRestore();
    process.exitCode = undefined;
  }
}

const differing: ReplayResult = {
  fileId: 'f_differs',
  dryRun: true,
  documents: { before: 2, after: 2 },
  differences: [
    { index: 0, orderNumber: 'A1', change: 'changed', fields: [{ path: 'items[0].quantity', before: 3, after: 4 }] },
    { index: 1, orderNumber: 'A2', change: 'changed', fields: [{ path: 'shipmentNumber', before: 'S1', after: 'S2' }] },
  ],
};
const dryRuns: Record<string, ReplayResult> = {
  f_differs: differing,
  f_same: { fileId: 'f_same', dryRun: true, documents: { before: 2, after: 2 }, differences: [] },
  f_refused: { fileId: 'f_refused', dryRun: true, documents: { before: 2, after: 0 }, error: { code: 'NO_MAPPING', message: 'no mapping of acme matches "x.csv"', place: { file: 'x.csv' } } },
};

describe('`intake files` exit codes: 0 clean, 1 not clean, 2 bad call', () => {
  let store: TestDatabase;
  let app: FastifyInstance;
  let gatewayUrl: string;
  const dataDir = mkdtempSync(join(tmpdir(), 'intake-files-exit-'));

  beforeAll(async () => {
    store = await createTestDb('pglite');
    await migrateLedger(store.db);
    // One file in each state the exit code depends on; "gone" is a customer no longer in the mappings.
    const files: [string, string, string][] = [
      ['f_completed', 'acme', 'COMPLETED'],
      ['f_partial', 'acme', 'PARTIAL'],
      ['f_rejected', 'acme', 'REJECTED'],
      ['f_failed', 'acme', 'FAILED'],
      ['f_duplicate', 'acme', 'DUPLICATE'],
      ['f_submitting', 'acme', 'SUBMITTING'],
      ['f_of_gone', 'gone', 'COMPLETED'],
    ];
    for (const [fileId, customer, state] of files) {
      const meta = { fileId, customer, channel: 'cli', originalName: `${fileId}.csv`, sender: '', sizeBytes: 1, sha256: fileId, receivedAt: new Date().toISOString() };
      await recordReceivedFile(store.db, meta, `/spool/${fileId}`, { duplicateWindowHours: 0 });
      await store.db.query('UPDATE gateway.files SET state = $2 WHERE id = $1', [fileId, state]);
    }
    app = buildGatewayApp({
      db: store.db,
      logger: silentLogger,
      metrics: new GatewayMetrics({ db: store.db, queueDepths: async () => ({}) }),
      opsToken: OPS_TOKEN,
      inbox: { receive: () => Promise.reject(new Error('not used by this test')) },
      readiness: async () => ({}),
      replay: async (fileId) => dryRuns[fileId]!,
      regress: () => Promise.reject(new Error('not used by this test')),
      customers: () => ['acme', 'bolt'],
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    gatewayUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    vi.stubEnv('DATA_DIR', dataDir);
    vi.stubEnv('OPS_TOKEN', OPS_TOKEN);
    vi.stubEnv('GATEWAY_URL', gatewayUrl);
  }, 60_000);
  afterEach(() => {
    process.exitCode = undefined;
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await app?.close();
    await store?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each([
    ['f_partial', 1],
    ['f_rejected', 1],
    ['f_failed', 1],
    ['f_duplicate', 1],
    ['f_completed', 0],
    ['f_submitting', 0],
  ])('`files show %s` exits %i: a file that ended not clean is 1, a COMPLETED one or one still on its way 0', async (fileId, code) => {
    const shown = await intake(['files', 'show', fileId]);
    expect(shown.error).toBeUndefined();
    expect(shown.stdout).toContain(fileId);
    expect(shown.code).toBe(code);
    const json = await intake(['files', 'show', fileId, '--json']);
    expect(json.code).toBe(code);
  });

  it('`files replay --dry-run` exits 1 when documents would differ (a regression found), as `mapping regress` does', async () => {
    const result = await intake(['files', 'replay', 'f_differs', '--dry-run']);
    expect(result.stdout).toMatch(/^2 documents sent last time, 2 now; 2 differ$/m);
    expect(result.code).toBe(1);
  });

  it('`files replay --dry-run` exits 0 when no document would differ', async () => {
    const result = await intake(['files', 'replay', 'f_same', '--dry-run']);
    expect(result.stdout).toMatch(/0 differ$/);
    expect(result.code).toBe(0);
  });

  it('`files replay --dry-run` exits 1 when the current mapping refuses the file (a replay would be refused)', async () => {
    const result = await intake(['files', 'replay', 'f_refused', '--dry-run']);
    expect(result.stdout).toMatch(/the current mapping refuses this file: NO_MAPPING/);
    expect(result.code).toBe(1);
  });

  it('`files list --customer nobody` is a bad call: UNKNOWN_CUSTOMER naming the known customers, in one line, exit 2', async () => {
    const result = await runCli(['files', 'list', '--customer', 'nobody'], { DATA_DIR: dataDir, OPS_TOKEN, GATEWAY_URL: gatewayUrl });
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('intake: 404 UNKNOWN_CUSTOMER: No customer "nobody" in the mappings, and no file from one in the ledger (customers: acme, bolt).\n');
    expect(result.code).toBe(2);
  }, 30_000);

  it('`files list --customer` of a customer without files prints "no files" and exits 0', async () => {
    const result = await intake(['files', 'list', '--customer', 'bolt']);
    expect(result).toEqual({ code: 0, stdout: 'no files' });
  });

  it('`files list --customer` of a customer gone from the mappings still lists its files in the ledger', async () => {
    const result = await intake(['files', 'list', '--customer', 'gone', '--state', 'FAILED']);
    expect(result).toEqual({ code: 0, stdout: 'no files' });
    const listed = await intake(['files', 'list', '--customer', 'gone']);
    expect(listed.stdout).toMatch(/^f_of_gone .* COMPLETED /);
    expect(listed.code).toBe(0);
  });

  it('`files --help` describes every files subcommand', () => {
    const program = new Command('intake');
    registerFilesCommands(program);
    const files = program.commands.find((command) => command.name() === 'files')!;
    const listed = files.helpInformation().split('Commands:\n')[1]!.split('\n').filter((line) => /^ {2}\S/.test(line));
    expect(listed.map((line) => line.trim().split(/\s+/)[0])).toEqual(['list', 'show', 'replay', 'help']);
    for (const line of listed) expect(line, line).toMatch(/^ {2}\S.*\S {2,}\S/);
  });

  it('GATEWAY_URL without a scheme is a settings error saying it must be an http(s) URL, exit 2, not "the gateway is not answering"', async () => {
    const result = await runCli(['files', 'show', 'f_completed'], { DATA_DIR: dataDir, OPS_TOKEN, GATEWAY_URL: 'localhost:47301' });
    expect(result.stderr).toBe('intake: invalid configuration: GATEWAY_URL="localhost:47301": must be an http(s) URL, such as http://127.0.0.1:8081: the address of the running gateway, with its scheme\n');
    expect(result.code).toBe(2);
  }, 30_000);
});
