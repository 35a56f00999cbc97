import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/db.ts';
import { STORE_KINDS, createTestDb, type TestDatabase } from '../support/stores.ts';

describe.each(STORE_KINDS)('store on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDb(kind);
  });
  afterAll(async () => t?.drop());

  it('returns int8 and numeric as numbers, jsonb as objects', async () => {
    const { rows } = await t.db.query<{ a: number; b: number; c: { x: number } }>(
      'SELECT 9007199254740::int8 AS a, 1.5::numeric AS b, $1::jsonb AS c',
      [JSON.stringify({ x: 1 })],
    );
    expect(rows[0]).toEqual({ a: 9007199254740, b: 1.5, c: { x: 1 } });
  });

  it('applies each migration once, functions with $$ bodies included', async () => {
    const migrations = [
      { id: '001', sql: 'CREATE TABLE t_m (id int PRIMARY KEY);\nINSERT INTO t_m VALUES (1);' },
      { id: '002', sql: 'CREATE FUNCTION t_m_count() RETURNS int LANGUAGE sql AS $$\n  SELECT count(*)::int FROM t_m;\n$$;' },
    ];
    await migrate(t.db, 'mtest', migrations);
    await migrate(t.db, 'mtest', migrations);
    const { rows } = await t.db.query<{ n: number }>('SELECT t_m_count() AS n');
    expect(rows[0]?.n).toBe(1);
  });

  it('rolls back a failed transaction completely', async () => {
    await t.db.exec('CREATE TABLE t_tx (id int PRIMARY KEY)');
    await expect(
      t.db.transaction(async (tx) => {
        await tx.query('INSERT INTO t_tx VALUES (1)');
        await tx.query('INSERT INTO t_tx VALUES (1)');
      }),
    ).rejects.toThrow();
    const { rows } = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM t_tx');
    expect(rows[0]?.n).toBe(0);
  });
});

describe('store on postgres: a connection cut under a transaction', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDb('postgres');
  });
  afterAll(async () => t?.drop());

  it('fails that transaction only: no unheard client error (it ended the process), and the pool goes on', async () => {
    const uncaught: unknown[] = [];
    const record = (error: unknown) => void uncaught.push(error);
    process.on('uncaughtException', record);
    try {
      const attempt = t.db.transaction(async (tx) => {
        const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        // As a PostgreSQL restart does: the server ends this connection while the transaction holds it.
        await t.db.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
        await new Promise((resolve) => setTimeout(resolve, 200));
        await tx.query('SELECT 1');
      });
      await expect(attempt).rejects.toThrow();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(uncaught).toEqual([]);
      expect((await t.db.query<{ n: number }>('SELECT 1 AS n')).rows).toEqual([{ n: 1 }]);
      expect(await t.db.transaction(async (tx) => (await tx.query<{ n: number }>('SELECT 2 AS n')).rows)).toEqual([{ n: 2 }]);
    } finally {
      process.off('uncaughtException', record);
    }
  });
});
