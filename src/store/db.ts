import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import pg from 'pg';

/**
 * One SQL interface over the two stores the product runs on: embedded PGlite (the default: nothing to install)
 * and a PostgreSQL server (`DATABASE_URL`: production, and several processes sharing one store).
 * The same queries and the same tests run on both.
 *
 * Conventions, so both drivers return the same values: int8 and numeric come back as JS numbers; jsonb
 * parameters are passed as JSON text and cast (`$1::jsonb`); timestamptz comes back as a Date.
 */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string | PreparedStatement, params?: unknown[]): Promise<{ rows: T[] }>;
}

/**
 * A statement run often (a document's round trips): on a PostgreSQL server it is parsed once per connection under
 * its name and then only bound and executed; PGlite runs its text. One name, one text: make them with `prepared`.
 */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

export function prepared(name: string, text: string): PreparedStatement {
  return { name, text };
}

function sqlText(sql: string | PreparedStatement): string {
  return typeof sql === 'string' ? sql : sql.text;
}

/** The pg driver's named query: prepared on a connection's first use of the name, then bound and executed. */
function namedQuery(sql: PreparedStatement, params: unknown[] | undefined): pg.QueryConfig {
  return { name: sql.name, text: sql.text, values: params ?? [] };
}

/**
 * A transaction's statements. On a PostgreSQL server every round trip counts (a document's transaction is held
 * open, with its locks, while the client is away), so BEGIN is not sent on its own: it travels with the first
 * statement, and `queryAndCommit` sends the last statement with the COMMIT.
 */
export interface Transaction extends Queryable {
  /**
   * Runs the transaction's last statement and commits it with the same round trip. Once it succeeds the
   * transaction is committed, whatever `fn` does next; a later statement is an error.
   */
  queryAndCommit<T = Record<string, unknown>>(sql: string | PreparedStatement, params?: unknown[]): Promise<{ rows: T[] }>;
}

/**
 * `text` with its `$n` parameters written as literals, so it can share a simple-protocol message with BEGIN or
 * COMMIT; null when that is not certainly the same statement. Only texts without quotes, dollar quoting or
 * comments (where `$n` could mean something else), and only values that the driver would send as the same text
 * (strings, finite numbers, booleans, null): a quoted literal is, like an untyped parameter, of unknown type until
 * the server resolves it from its context.
 */
function inlineParams(client: pg.PoolClient, text: string, params: unknown[] | undefined): string | null {
  if (/['"`]|\$\$|--|\/\*|;/.test(text)) return null;
  const values = params ?? [];
  const literals: string[] = [];
  for (const value of values) {
    if (value === null || value === undefined) literals.push('NULL');
    else if (typeof value === 'string') literals.push(client.escapeLiteral(value));
    else if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) literals.push(`'${String(value)}'`);
    else return null;
  }
  let complete = true;
  const inlined = text.replace(/\$(\d+)(?!\d)/g, (_, n: string) => {
    const literal = literals[Number(n) - 1];
    if (literal === undefined) complete = false;
    return literal ?? '';
  });
  return complete ? inlined : null;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction; retried on serialization failures and deadlocks (PostgreSQL server only). */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /** Several statements in one string, no parameters (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

export type StoreLocation =
  /** `loadDataDir`: a dump (PGlite's dumpDataDir) to start from instead of a new, empty cluster. */
  | { kind: 'pglite'; dataDir?: string; loadDataDir?: Blob }
  | { kind: 'postgres'; url: string; poolSize?: number };

const INT8 = 20;
const NUMERIC = 1700;
const RETRYABLE = new Set(['40001', '40P01']);

/**
 * The PostgreSQL server could not be used at open: refused, unreachable, no such database, the login refused.
 * `reason` is the driver's one line; the URL is not in it (its password would be).
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(readonly reason: string) {
    super(`PostgreSQL server not usable: ${reason}`);
  }
}

export async function openDb(location: StoreLocation): Promise<Db> {
  return location.kind === 'pglite' ? openPglite(location.dataDir, location.loadDataDir) : openPostgres(location.url, location.poolSize ?? 10);
}

async function openPglite(dataDir: string | undefined, loadDataDir: Blob | undefined): Promise<Db> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const parsers = { [pgliteTypes.INT8]: Number, [pgliteTypes.NUMERIC]: Number };
  const db = await PGlite.create({ ...(dataDir ? { dataDir } : {}), ...(loadDataDir ? { loadDataDir } : {}), parsers });
  return {
    kind: 'pglite',
    query: async <T>(sql: string | PreparedStatement, params?: unknown[]) => ({ rows: (await db.query<T>(sqlText(sql), params)).rows }),
    transaction: <T>(fn: (tx: Transaction) => Promise<T>) =>
      db.transaction((tx) => {
        // PGlite commits when `fn` returns (no round trips to save); `queryAndCommit` only keeps the same rule.
        let committed = false;
        const query = async <R>(sql: string | PreparedStatement, params?: unknown[]) => {
          if (committed) throw new Error('the transaction was committed by its last statement (queryAndCommit)');
          return { rows: (await tx.query<R>(sqlText(sql), params)).rows };
        };
        return fn({
          query,
          queryAndCommit: async <R>(sql: string | PreparedStatement, params?: unknown[]) => {
            const result = await query<R>(sql, params);
            committed = true;
            return result;
          },
        });
      }),
    exec: async (sql) => {
      await db.exec(sql);
    },
    close: () => db.close(),
  };
}

async function openPostgres(url: string, poolSize: number): Promise<Db> {
  const typeParsers = {
    getTypeParser: ((oid: number, format?: string) => {
      if (oid === INT8 || oid === NUMERIC) return (value: string) => Number(value);
      return pg.types.getTypeParser(oid, format as 'text');
    }) as typeof pg.types.getTypeParser,
  };
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types: typeParsers });
  // An idle client's error (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  // Connected once at open, so a setting that names no usable database stops the start with its reason, instead
  // of the first migration's query failing with the driver's error object.
  try {
    (await pool.connect()).release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    const { message, code } = error as { message?: string; code?: string };
    throw new StoreUnavailableError((message || code || String(error)).split('\n')[0]!);
  }
  const query = async <T>(sql: string | PreparedStatement, params?: unknown[]) => ({
    rows: (typeof sql === 'string' ? await pool.query(sql, params) : await pool.query(namedQuery(sql, params))).rows as T[],
  });
  return {
    kind: 'postgres',
    query,
    async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
      for (let attempt = 1; ; attempt++) {
        const client = await pool.connect();
        // pg-pool listens for a client's errors only while it is idle: a borrowed client whose server connection
        // ends (PostgreSQL restarted) emits an 'error' nobody hears, which ended the whole process. The query in
        // flight fails on its own; the client is then thrown away, not returned to the pool.
        let broken: Error | undefined;
        const onError = (error: Error) => {
          broken = error;
        };
        client.on('error', onError);
        // 'idle': BEGIN not sent yet (it goes with the first statement); 'open': in the transaction; 'done': committed.
        let state = 'idle' as 'idle' | 'open' | 'done';
        const run = async <R>(sql: string | PreparedStatement, params: unknown[] | undefined, commit: boolean): Promise<{ rows: R[] }> => {
          if (state === 'done') throw new Error('the transaction was committed by its last statement (queryAndCommit)');
          const begin = state === 'idle';
          if (!begin && !commit) {
            return { rows: (typeof sql === 'string' ? await client.query(sql, params) : await client.query(namedQuery(sql, params))).rows as R[] };
          }
          const inlined = inlineParams(client, sqlText(sql), params);
          state = 'open';
          if (inlined === null) {
            // Parameters that cannot be written as literals: BEGIN and COMMIT in round trips of their own.
            if (begin) await client.query('BEGIN');
            const rows = (typeof sql === 'string' ? await client.query(sql, params) : await client.query(namedQuery(sql, params))).rows as R[];
            if (commit) {
              await client.query('COMMIT');
              state = 'done';
            }
            return { rows };
          }
          // One simple-protocol message: statements after a failed one are skipped, so a failed statement never
          // commits, and the transaction is then rolled back below.
          const results = (await client.query(`${begin ? 'BEGIN;\n' : ''}${inlined}${commit ? ';\nCOMMIT' : ''}`)) as unknown as pg.QueryResult | pg.QueryResult[];
          if (commit) state = 'done';
          const all = Array.isArray(results) ? results : [results];
          return { rows: all[begin ? 1 : 0]!.rows as R[] };
        };
        try {
          const result = await fn({
            query: (sql, params) => run(sql, params, false),
            queryAndCommit: (sql, params) => run(sql, params, true),
          });
          if (state === 'open') await client.query('COMMIT');
          return result;
        } catch (error) {
          if (state === 'open') await client.query('ROLLBACK').catch(() => undefined);
          const code = (error as { code?: string }).code;
          if (state === 'done' || !code || !RETRYABLE.has(code) || attempt >= 5) throw error;
        } finally {
          client.removeListener('error', onError);
          client.release(broken);
        }
      }
    },
    exec: async (sql) => {
      await pool.query(sql);
    },
    close: () => pool.end(),
  };
}

/** A migration: an id that sorts in application order, and its SQL. Applied once, recorded in `<schema>.migrations`. */
export interface Migration {
  id: string;
  sql: string;
}

/**
 * Applies the migrations of one schema that are not applied yet. An advisory lock keeps two processes that
 * start together on one PostgreSQL server from applying the same migration twice.
 */
export async function migrate(db: Db, schema: string, migrations: readonly Migration[]): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`bad schema name ${schema}`);
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`migrate:${schema}`]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await tx.query(`CREATE TABLE IF NOT EXISTS ${schema}.migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await tx.query<{ id: string }>(`SELECT id FROM ${schema}.migrations`);
    const applied = new Set(rows.map((row) => row.id));
    for (const migration of [...migrations].sort((a, b) => a.id.localeCompare(b.id))) {
      if (applied.has(migration.id)) continue;
      for (const statement of splitStatements(migration.sql)) await tx.query(statement);
      await tx.query(`INSERT INTO ${schema}.migrations (id) VALUES ($1)`, [migration.id]);
    }
  });
}

/**
 * Splits a migration into statements for the extended protocol (one statement per call). Statements end with
 * `;` at the end of a line; a function body between `$$` markers is kept whole.
 */
function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let inDollar = false;
  for (const line of sql.split('\n')) {
    current += line + '\n';
    const dollars = line.split('$$').length - 1;
    if (dollars % 2 === 1) inDollar = !inDollar;
    if (!inDollar && /;\s*(--.*)?$/.test(line)) {
      if (current.trim() !== '') statements.push(current.trim());
      current = '';
    }
  }
  if (current.trim() !== '') statements.push(current.trim());
  return statements;
}

/** The migrations in a folder: `NNN-name.sql` files, applied in name order. */
export function readMigrationFolder(folder: URL): Migration[] {
  const path = fileURLToPath(folder);
  return readdirSync(path)
    .filter((name) => name.endsWith('.sql'))
    .sort()
    .map((name) => ({ id: name.replace(/\.sql$/, ''), sql: readFileSync(join(path, name), 'utf8') }));
}
