import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerFilesCommands } from '../../src/cli/commands/files.ts';
import { buildGatewayApp } from '../../src/gateway/http/gateway-app.ts';
import { GatewayMetrics } from '../../src/gateway/metrics.ts';
import type { Receipt } from '../../src/inbox/inbox.ts';
import { silentLogger } from '../../src/log/logger.ts';
import { createTestDb, type TestDatabase } from '../support/stores.ts';

const OPS_TOKEN = 'an ops token of the test, long enough';

/** `intake submit …` run in this process: its printed lines and the exit code it sets. */
async function submit(path: string): Promise<{ code: number; stdout: string }> {
  const program = new Command('intake').exitOverride();
  registerFilesCommands(program);
  const printed: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...line: unknown[]) => void printed.push(line.join(' ')));
  try {
    await program.parseAsync(['submit', path, '--customer', 'acme'], { from: 'user' });
    return { code: Number(process.exitCode ?? 0), stdout: printed.join('\n') };
  } finally {
    log.mockRestore();
    process.exitCode = undefined;
  }
}

describe('`intake submit` without --wait: its exit code follows the receipt, as `intake --help` lists them', () => {
  let store: TestDatabase;
  let app: FastifyInstance;
  const dataDir = mkdtempSync(join(tmpdir(), 'intake-submit-exit-'));
  const fresh = join(dataDir, 'fresh.csv');
  const again = join(dataDir, 'again.csv');

  beforeAll(async () => {
    writeFileSync(fresh, 'order,sku\nA1,S1\n');
    writeFileSync(again, 'order,sku\nA1,S1\n');
    store = await createTestDb('pglite');
    // The inbox answers by file name: "again.csv" is the same bytes as a file received before.
    const receive = async ({ originalName }: { originalName: string }): Promise<Receipt> =>
      originalName === 'again.csv'
        ? { fileId: 'f_again', state: 'DUPLICATE', duplicateOf: 'f_first', sha256: 'x', sizeBytes: 16 }
        : { fileId: 'f_fresh', state: 'QUEUED', sha256: 'x', sizeBytes: 16 };
    app = buildGatewayApp({
      db: store.db,
      logger: silentLogger,
      metrics: new GatewayMetrics({ db: store.db, queueDepths: async () => ({}) }),
      opsToken: OPS_TOKEN,
      inbox: { receive },
      readiness: async () => ({}),
      replay: () => Promise.reject(new Error('not used by this test')),
      regress: () => Promise.reject(new Error('not used by this test')),
      customers: () => ['acme'],
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    vi.stubEnv('DATA_DIR', dataDir);
    vi.stubEnv('OPS_TOKEN', OPS_TOKEN);
    vi.stubEnv('GATEWAY_URL', `http://127.0.0.1:${(app.server.address() as { port: number }).port}`);
  }, 60_000);
  afterAll(async () => {
    vi.unstubAllEnvs();
    await app?.close();
    await store?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a DUPLICATE receipt exits 1: the command ran and the outcome is not clean', async () => {
    const result = await submit(again);
    expect(result.stdout).toBe('received as f_again (duplicate of f_first)');
    expect(result.code).toBe(1);
  });

  it('a file received and queued exits 0', async () => {
    const result = await submit(fresh);
    expect(result.stdout).toBe('received as f_fresh');
    expect(result.code).toBe(0);
  });
});
