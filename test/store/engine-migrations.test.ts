import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateEngine } from '../../src/engine/store/migrations.ts';
import { STORE_KINDS, createTestDb, type TestDatabase } from '../support/stores.ts';

describe.each(STORE_KINDS)('engine migrations on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDb(kind);
  });
  afterAll(async () => t?.drop());

  it('apply on an empty store and again as a no-op', async () => {
    await migrateEngine(t.db);
    await migrateEngine(t.db);
    const { rows } = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'engine'");
    expect(rows[0]?.n).toBeGreaterThan(3);
  });
});
