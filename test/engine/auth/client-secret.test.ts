import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { HttpTokenVerifier } from '../../../src/channels/http/http-token-verifier.ts';
import { authenticateApiClient } from '../../../src/engine/auth/api-clients.ts';
import { hashClientSecret, MAX_CONCURRENT_SCRYPT, verifyClientSecret } from '../../../src/engine/auth/client-secret.ts';
import { seedDemoData } from '../../../src/engine/demo-data.ts';
import { migrateEngine } from '../../../src/engine/store/migrations.ts';
import { createTestDb } from '../../support/stores.ts';

/** node:crypto's scrypt, counting how many computations are under way at once. */
const scrypts = vi.hoisted(() => ({ running: 0, most: 0, started: 0 }));
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof import('node:crypto')>();
  return {
    ...crypto,
    scrypt(...args: unknown[]) {
      const done = args.pop() as (error: Error | null, key: Buffer) => void;
      scrypts.running++;
      scrypts.started++;
      scrypts.most = Math.max(scrypts.most, scrypts.running);
      (crypto.scrypt as (...a: unknown[]) => void)(...args, (error: Error | null, key: Buffer) => {
        scrypts.running--;
        done(error, key);
      });
    },
  };
});

describe('client secret checks share the thread pool with file I/O', () => {
  it(`runs at most ${MAX_CONCURRENT_SCRYPT} scrypt computations at once, for token requests and HTTP channel tokens together`, async () => {
    const stored = await hashClientSecret('the-right-secret');
    const verifier = new HttpTokenVerifier({ httpCustomers: () => ({ shipper: { customer: 'shipper', tokenHashes: [stored], tokens: [] } }) });
    scrypts.most = 0;
    const results = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => verifyClientSecret(i === 0 ? 'the-right-secret' : `wrong-${i}`, stored)),
      ...Array.from({ length: 10 }, (_, i) => verifier.verify(i % 2 === 0 ? 'shipper' : 'nobody', `wrong-token-${i}`)),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(scrypts.most).toBe(MAX_CONCURRENT_SCRYPT);
  });

  it('a file read is not queued behind a flood of wrong secrets', async () => {
    const stored = await hashClientSecret('the-right-secret');
    let checked = 0;
    const flood = Array.from({ length: 24 }, (_, i) => verifyClientSecret(`wrong-${i}`, stored).then(() => void checked++));
    await readFile(fileURLToPath(import.meta.url));
    // Queued behind them on libuv's four threads, the read would finish after at least 20 of the checks.
    const checkedBeforeTheRead = checked;
    await Promise.all(flood);
    expect(checkedBeforeTheRead).toBeLessThanOrEqual(MAX_CONCURRENT_SCRYPT * 2);
  });
});

describe('authenticateApiClient', () => {
  it('checks a client id PostgreSQL cannot hold (a NUL) against the dummy hash, as it does an unknown one', async () => {
    const database = await createTestDb('pglite');
    try {
      await migrateEngine(database.db);
      await seedDemoData(database.db);
      const scryptsFor = async (clientId: string) => {
        const before = scrypts.started;
        expect(await authenticateApiClient(database.db, clientId, 'nope')).toBeNull();
        return scrypts.started - before;
      };
      await scryptsFor('warm-up');
      expect(await scryptsFor('demo\u0000client')).toBe(await scryptsFor('nobody'));
      expect(await scryptsFor('nobody')).toBe(1);
    } finally {
      await database.drop();
    }
  });
});
