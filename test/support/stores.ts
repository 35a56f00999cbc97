import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { inject } from 'vitest';
import { openDb, type Db } from '../../src/store/db.ts';

/** The PostgreSQL server tests create their own databases on (never touching any other). */
export const ADMIN_DATABASE_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export const STORE_KINDS = ['pglite', 'postgres'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

export interface TestDatabase {
  db: Db;
  /** For a PostgreSQL store: the URL of the test's own database (for a second process or pool). */
  url?: string;
  drop(): Promise<void>;
}

/** A fresh PostgreSQL database of the test's own; dropped by `drop()`. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `intake_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

let emptyPglite: Promise<Blob> | undefined;

/**
 * A new, empty PGlite cluster, dumped once per test run (global-setup.ts): a new in-memory PGlite runs initdb,
 * 1.5-5 s on a 2-core machine, and loading the dump costs about a third of that.
 */
function emptyPgliteDump(): Promise<Blob> {
  emptyPglite ??= readFile(inject('emptyPgliteDump')).then((bytes) => new Blob([bytes]));
  return emptyPglite;
}

/** An empty store of the given kind: in-memory PGlite, or a PostgreSQL database of the test's own. */
export async function createTestDb(kind: StoreKind): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const db = await openDb({ kind: 'pglite', loadDataDir: await emptyPgliteDump() });
    return { db, drop: () => db.close() };
  }
  const database = await createPostgresDatabase();
  const db = await openDb({ kind: 'postgres', url: database.url });
  return {
    db,
    url: database.url,
    async drop() {
      await db.close();
      await database.drop();
    },
  };
}
