import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { GatewayMetrics } from '../../src/gateway/metrics.ts';
import { recordReceivedFile } from '../../src/ledger/files-repo.ts';
import { migrateLedger } from '../../src/ledger/migrations.ts';
import { createLogger } from '../../src/log/logger.ts';
import { openDb } from '../../src/store/db.ts';
import { createPostgresDatabase } from '../support/stores.ts';

describe('/metrics while PostgreSQL does not answer', () => {
  it('still answers with every other series, leaves the ledger counts out and says so in one log line', async () => {
    const lines: { level: number; msg: string }[] = [];
    const destination = new Writable({ write: (chunk, _encoding, done) => (lines.push(...String(chunk).trim().split('\n').map((line) => JSON.parse(line) as { level: number; msg: string })), done()) });
    const database = await createPostgresDatabase();
    const db = await openDb({ kind: 'postgres', url: database.url });
    try {
      await migrateLedger(db);
      const receivedAt = new Date().toISOString();
      await recordReceivedFile(db, { fileId: 'f_metrics_1', customer: 'c', channel: 'cli', originalName: 'a.csv', sender: '', sizeBytes: 1, sha256: 'x', receivedAt }, '/spool/a', { duplicateWindowHours: 0 });
      const metrics = new GatewayMetrics({ db, queueDepths: async () => ({ parse: 0 }), logger: createLogger({ level: 'info', destination }) });
      expect(await metrics.registry.metrics()).toMatch(/^intake_files\{state="RECEIVED"\} 1$/m);

      // The outage: the server ends the pool's connections and the database is gone.
      await database.drop();
      for (let scrape = 0; scrape < 3; scrape++) {
        const text = await metrics.registry.metrics();
        expect(text).toMatch(/^intake_process_cpu_user_seconds_total \d/m);
        expect(text).toMatch(/^intake_queue_depth\{stage="parse"\} 0$/m);
        expect(text).not.toMatch(/^intake_(files|documents)\{/m);
      }
      const storeLines = lines.filter((line) => line.msg.startsWith('metrics: the store did not answer'));
      expect(storeLines).toHaveLength(1);
    } finally {
      await db.close();
      await database.drop();
    }
  });
});
