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

  it('leave engine.iso_utc inlinable: the shipment views call no SQL function per timestamp', async () => {
    await migrateEngine(t.db);
    const { rows } = await t.db.query<{ 'QUERY PLAN': string }>('EXPLAIN (VERBOSE) SELECT engine.iso_utc(now())');
    const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
    expect(plan).toContain('to_char');
    expect(plan).not.toContain('iso_utc');
    const { rows: formatted } = await t.db.query<{ at: string }>("SELECT engine.iso_utc('2026-12-04 19:21:02.321+01') AS at");
    expect(formatted[0]?.at).toBe('2026-12-04T18:21:02.321Z');
  });
});
