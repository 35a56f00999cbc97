/**
 * Throughput of POST /v1/documents over HTTP against PostgreSQL, next to its ceiling: the same database work
 * issued directly by a `pg` pool at the same concurrency, the cheapest correct way (one round trip per document,
 * a plpgsql function with the engine's locking). Not a test: `npm run bench:engine -- [--seconds 10]
 * [--warmup 2] [--concurrency 8] [--rounds 1] [--existing 1000] [--idempotency-key] [--in-process]`.
 *
 * The load is deterministic and mixed: one document in three creates a new shipment and order (default strategy,
 * i.e. OVERWRITE), one OVERWRITEs an existing order, one MERGEs into an existing order (all of its keys match),
 * 10 items each. The bench creates its own database on the PostgreSQL server (BENCH_POSTGRES_URL, else
 * TEST_POSTGRES_URL, else postgres://postgres@127.0.0.1:5432/postgres), starts the engine as a separate process
 * on loopback, and drops the database at the end. With --rounds > 1 the two phases alternate and the medians are
 * printed (the ratio: the median of the rounds' ratios). The last line reads
 * `engine over HTTP: N docs/s; ceiling (pg, 1 round trip/doc): M docs/s; ratio R`.
 *
 * The existing orders of each phase are created by the ceiling's function, so the engine has not written them:
 * its first document for each one is planned after a read (two round trips), as for orders another engine process
 * wrote (src/engine/expected-targets.ts). Each phase starts after a CHECKPOINT (see `checkpoint`). Every phase line
 * also says where the CPU went, per document (Linux /proc): the PostgreSQL server's processes, the engine's
 * process and this client. The two phases share the machine's cores, so on a machine with few cores the ratio is
 * close to the ratio of those CPU sums.
 *
 * --in-process adds a third phase to each round: the engine's own work (the body parsed and validated, the document
 * planned against this process's expectations and applied by the same SQL, the response serialized) called
 * directly from this process, without HTTP. It tells how much of the gap to the ceiling is the engine's SQL and
 * planning, and how much is the HTTP hop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Pool as HttpPool } from 'undici';
import { applyDocument } from '../src/engine/apply-document.ts';
import { seedDemoData } from '../src/engine/demo-data.ts';
import { validateDocument } from '../src/engine/documents/validate-document.ts';
import { ExpectedTargets } from '../src/engine/expected-targets.ts';
import { migrateEngine } from '../src/engine/store/migrations.ts';
import { openDb, type Db } from '../src/store/db.ts';
import { freePort } from '../test/support/free-port.ts';
import { ADMIN_URL, adminQuery } from './bench-postgres.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '1' },
    existing: { type: 'string', default: '1000' },
    // Send an Idempotency-Key with every document (the engine's idempotent path), as the gateway does.
    'idempotency-key': { type: 'boolean', default: false },
    // A third phase: the engine's work called in this process, without HTTP (see above).
    'in-process': { type: 'boolean', default: false },
  },
});
const SECONDS = Number(args.seconds);
const WARMUP_SECONDS = Number(args.warmup);
const CONCURRENCY = Number(args.concurrency);
const ROUNDS = Number(args.rounds);
const EXISTING = Number(args.existing);
const IDEMPOTENCY_KEYS = args['idempotency-key'];
const IN_PROCESS = args['in-process'];
for (const [name, value] of Object.entries({ SECONDS, WARMUP_SECONDS, CONCURRENCY, ROUNDS, EXISTING })) {
  if (!Number.isFinite(value) || value < 0 || (name !== 'WARMUP_SECONDS' && value <= 0)) throw new Error(`bad --${name.toLowerCase()}`);
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUSINESS = 'kargo';
const FACILITY = 'sf';
const ITEMS_PER_DOCUMENT = 10;

// ---------------------------------------------------------------------------------------------------------------
// The load

type Kind = 'NEW' | 'OVERWRITE' | 'MERGE';

interface BenchDocument {
  kind: Kind;
  shipmentNumber: string;
  orderNumber: string;
  strategy: 'OVERWRITE' | 'MERGE';
  items: { lpn: string; sku: string; quantity: number; quantityUnit: string }[];
}

/** Document `i` of a phase whose numbers start with `prefix`: deterministic, the same for both phases. */
function benchDocument(prefix: string, i: number): BenchDocument {
  const kind: Kind = (['NEW', 'OVERWRITE', 'MERGE'] as const)[i % 3]!;
  // Existing orders are visited in a scattered but fixed order, so concurrent documents rarely share one.
  const existing = (i * 7919) % EXISTING;
  const number = kind === 'NEW' ? `${prefix}-NEW-${i}` : `${prefix}-EX-${existing}`;
  return {
    kind,
    shipmentNumber: `${number}-SHP`,
    orderNumber: number,
    strategy: kind === 'MERGE' ? 'MERGE' : 'OVERWRITE',
    items: Array.from({ length: ITEMS_PER_DOCUMENT }, (_, k) => ({
      lpn: `LPN-${k}`,
      sku: `SKU-${k}`,
      quantity: 1 + ((i + k) % 50),
      quantityUnit: k % 2 === 0 ? 'CASE' : 'UNIT',
    })),
  };
}

/** The document as the engine takes it: a new order omits the strategy (the guide's default is OVERWRITE). */
function documentJson(doc: BenchDocument): string {
  return JSON.stringify({
    orderNumber: doc.orderNumber,
    business: BUSINESS,
    facility: FACILITY,
    direction: 'OUTBOUND',
    shipmentNumber: doc.shipmentNumber,
    ...(doc.kind === 'NEW' ? {} : { orderItemUpdateStrategy: doc.strategy }),
    items: doc.items,
  });
}

interface PhaseResult {
  docsPerSecond: number;
  documents: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU milliseconds per document of the timed run, by process; null where /proc cannot tell (not Linux). */
  cpuMsPerDocument: { client: number; engine: number | null; postgres: number | null };
}

// ---------------------------------------------------------------------------------------------------------------
// Where the CPU goes: both phases share one machine, so a ratio below 1 is CPU spent elsewhere than in PostgreSQL

const CLOCK_TICKS_PER_SECOND = 100;

/**
 * utime + stime of a process, in clock ticks, and with `children` its reaped children's too (a PostgreSQL backend
 * that exits during a phase is counted by the postmaster then); null when /proc cannot tell.
 */
function processTicks(pid: string, children = false): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    return fields[11]! + fields[12]! + (children ? fields[13]! + fields[14]! : 0);
  } catch {
    return null;
  }
}

/** Every PostgreSQL server process on this machine (the bench's database is the only busy one). */
function postgresTicks(): number | null {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((pid) => /^\d+$/.test(pid));
  } catch {
    return null;
  }
  let ticks = 0;
  for (const pid of pids) {
    try {
      // A backend that exits between the listing and the read is counted by the postmaster (see processTicks).
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') ticks += processTicks(pid, true) ?? 0;
    } catch {
      // gone
    }
  }
  return ticks;
}

interface CpuSnapshot {
  client: NodeJS.CpuUsage;
  engine: number | null;
  postgres: number | null;
}

let enginePid: string | null = null;

function cpuSnapshot(): CpuSnapshot {
  return { client: process.cpuUsage(), engine: enginePid ? processTicks(enginePid) : 0, postgres: postgresTicks() };
}

function cpuPerDocument(since: CpuSnapshot, documents: number): PhaseResult['cpuMsPerDocument'] {
  const now = cpuSnapshot();
  const client = process.cpuUsage(since.client);
  const ticksPerDocument = (end: number | null, start: number | null) =>
    end === null || start === null ? null : ((end - start) * 1000) / CLOCK_TICKS_PER_SECOND / documents;
  return {
    client: (client.user + client.system) / 1000 / documents,
    engine: ticksPerDocument(now.engine, since.engine),
    postgres: ticksPerDocument(now.postgres, since.postgres),
  };
}

/**
 * Runs `CONCURRENCY` workers that each apply the next document until the time is up: a warm-up (not counted),
 * then the timed run. Any failed document stops the bench (a fast wrong answer is no answer).
 */
async function runPhase(prefix: string, applyOne: (doc: BenchDocument) => Promise<void>): Promise<PhaseResult> {
  let next = 0;
  const drive = async (seconds: number, latencies: number[] | null): Promise<number> => {
    const until = performance.now() + seconds * 1000;
    let done = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < until) {
          const doc = benchDocument(prefix, next++);
          const started = performance.now();
          await applyOne(doc);
          latencies?.push(performance.now() - started);
          done++;
        }
      }),
    );
    return done;
  };
  if (WARMUP_SECONDS > 0) await drive(WARMUP_SECONDS, null);
  const latencies: number[] = [];
  const cpu = cpuSnapshot();
  const started = performance.now();
  const documents = await drive(SECONDS, latencies);
  const seconds = (performance.now() - started) / 1000;
  const cpuMsPerDocument = cpuPerDocument(cpu, documents);
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { docsPerSecond: documents / seconds, documents, seconds, p50Ms: at(0.5), p99Ms: at(0.99), cpuMsPerDocument };
}

// ---------------------------------------------------------------------------------------------------------------
// The ceiling: one round trip per document, a function in the bench's own schema over the engine's tables

const CEILING_SQL = `
CREATE SCHEMA bench;

-- Find-or-create shipment and order under the engine's advisory locks (same keys, same order: shipment first),
-- eligibility as the engine's (not arrived, not linked; the most recently created eligible order), then the
-- items: OVERWRITE deletes and inserts, MERGE updates by lpn + sku and inserts the rest. Returns the ids a
-- response needs. plpgsql and VOLATILE: each statement reads a snapshot taken after the locks were granted.
CREATE FUNCTION bench.apply_document(p_business text, p_facility text, p_shipment_number text, p_direction text,
  p_order_number text, p_strategy text, p_items jsonb) RETURNS json LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_business_id bigint;
  v_facility_id bigint;
  v_shipment_id bigint;
  v_order_id bigint;
  v_order_shipment_id bigint;
  v_candidate record;
  v_eligible boolean;
  v_removed json := '[]';
  v_updated json := '[]';
  v_created json;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(concat_ws(E'\\x1f', 'shipment', p_business, p_facility, p_shipment_number), 0));
  PERFORM pg_advisory_xact_lock(hashtextextended(concat_ws(E'\\x1f', 'order', p_business, p_facility, p_direction, p_order_number), 0));
  SELECT b.id, f.id INTO v_business_id, v_facility_id
  FROM engine.businesses b JOIN engine.facilities f ON f.business_id = b.id AND f.slug = p_facility
  WHERE b.slug = p_business;
  IF v_facility_id IS NULL THEN RAISE EXCEPTION 'unknown business or facility'; END IF;

  SELECT s.id INTO v_shipment_id FROM engine.shipments s
  WHERE s.facility_id = v_facility_id AND s.shipment_number = p_shipment_number
    AND s.arrived_at IS NULL AND s.linked_to_shipment_id IS NULL
  FOR SHARE;
  IF v_shipment_id IS NULL THEN
    IF EXISTS (SELECT 1 FROM engine.shipments s WHERE s.facility_id = v_facility_id AND s.shipment_number = p_shipment_number) THEN
      RAISE EXCEPTION 'SHIPMENT_CONFLICT';
    END IF;
    INSERT INTO engine.shipments (facility_id, shipment_number, scheduled_at, expected_arrival_at)
    VALUES (v_facility_id, p_shipment_number, now(), now()) RETURNING id INTO v_shipment_id;
  END IF;

  -- As the engine's (migration 014): candidates newest first, each one's shipment locked by its id alone. A join,
  -- or a WHERE clause with the eligibility in it, scans the whole partial index of eligible shipments for every
  -- document while the tables have no statistics (a new database; autovacuum off or behind).
  FOR v_candidate IN
    SELECT o.id, o.shipment_id FROM engine.orders o
    WHERE o.business_id = v_business_id AND o.facility_id = v_facility_id
      AND o.direction = p_direction AND o.order_number = p_order_number
    ORDER BY o.created_at DESC, o.id DESC
  LOOP
    SELECT os.arrived_at IS NULL AND os.linked_to_shipment_id IS NULL INTO v_eligible
    FROM engine.shipments os WHERE os.id = v_candidate.shipment_id
    FOR SHARE;
    IF v_eligible THEN
      v_order_id := v_candidate.id;
      v_order_shipment_id := v_candidate.shipment_id;
      EXIT;
    END IF;
  END LOOP;
  IF v_order_id IS NULL THEN
    INSERT INTO engine.orders (business_id, facility_id, direction, order_number, shipment_id)
    VALUES (v_business_id, v_facility_id, p_direction, p_order_number, v_shipment_id) RETURNING id INTO v_order_id;
  ELSIF v_order_shipment_id <> v_shipment_id THEN
    UPDATE engine.orders SET shipment_id = v_shipment_id WHERE id = v_order_id;
  END IF;

  IF p_strategy = 'OVERWRITE' THEN
    WITH gone AS (DELETE FROM engine.order_items WHERE order_id = v_order_id RETURNING id)
    SELECT coalesce(json_agg(id::text), '[]') INTO v_removed FROM gone;
    WITH made AS (
      INSERT INTO engine.order_items (order_id, lpn, sku, quantity, quantity_unit)
      SELECT v_order_id, x.lpn, x.sku, x.quantity, x."quantityUnit"
      FROM jsonb_to_recordset(p_items) AS x(lpn text, sku text, quantity numeric, "quantityUnit" text)
      RETURNING id)
    SELECT coalesce(json_agg(id::text), '[]') INTO v_created FROM made;
  ELSE
    WITH changed AS (
      UPDATE engine.order_items i SET quantity = x.quantity, quantity_unit = x."quantityUnit"
      FROM jsonb_to_recordset(p_items) AS x(lpn text, sku text, quantity numeric, "quantityUnit" text)
      WHERE i.order_id = v_order_id AND i.lpn = x.lpn AND i.sku = x.sku
      RETURNING i.id)
    SELECT coalesce(json_agg(id::text), '[]') INTO v_updated FROM changed;
    WITH made AS (
      INSERT INTO engine.order_items (order_id, lpn, sku, quantity, quantity_unit)
      SELECT v_order_id, x.lpn, x.sku, x.quantity, x."quantityUnit"
      FROM jsonb_to_recordset(p_items) AS x(lpn text, sku text, quantity numeric, "quantityUnit" text)
      WHERE NOT EXISTS (SELECT 1 FROM engine.order_items i WHERE i.order_id = v_order_id AND i.lpn = x.lpn AND i.sku = x.sku)
      RETURNING id)
    SELECT coalesce(json_agg(id::text), '[]') INTO v_created FROM made;
  END IF;
  RETURN json_build_object('shipmentId', v_shipment_id, 'orderId', v_order_id::text,
    'created', v_created, 'updated', v_updated, 'removed', v_removed);
END
$$;
`;

/** The function as one prepared statement: parsed and planned once per connection. */
function ceilingQuery(doc: BenchDocument): pg.QueryConfig {
  return {
    name: 'bench_apply_document',
    text: 'SELECT bench.apply_document($1, $2, $3, $4, $5, $6, $7::jsonb) AS result',
    values: [BUSINESS, FACILITY, doc.shipmentNumber, 'OUTBOUND', doc.orderNumber, doc.strategy, JSON.stringify(doc.items)],
  };
}

/** Creates the existing orders the OVERWRITE and MERGE documents of a phase update (not timed). */
async function seedExisting(pool: pg.Pool, prefix: string): Promise<void> {
  const queue = Array.from({ length: EXISTING }, (_, j) => j);
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let j = queue.shift(); j !== undefined; j = queue.shift()) {
        const number = `${prefix}-EX-${j}`;
        await pool.query(ceilingQuery({ ...benchDocument(prefix, 0), orderNumber: number, shipmentNumber: `${number}-SHP` }));
      }
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// The engine: a separate process on loopback, driven over keep-alive HTTP/1.1 connections


async function startEngine(databaseUrl: string, dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  // BENCH_ENGINE_NODE_ARGS: extra node flags for the engine, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.BENCH_ENGINE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'src/cli/main.ts', 'engine'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      HOST: '127.0.0.1',
      PORT: String(port),
      ENGINE_DEMO: '1',
      LOG_LEVEL: process.env.BENCH_ENGINE_LOG_LEVEL ?? 'warn',
      DATA_DIR: dataDir,
      ENGINE_JWT_SECRET: randomBytes(32).toString('hex'),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the engine exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { url, child };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('the engine did not answer /healthz within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function stopEngine(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function accessToken(url: string): Promise<string> {
  const response = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credentials', client_id: 'demo-client', client_secret: 'demo-secret' }),
  });
  if (!response.ok) throw new Error(`token request: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

function engineApplier(http: HttpPool, token: string): (doc: BenchDocument) => Promise<void> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  return async (doc) => {
    const response = await http.request({
      method: 'POST',
      path: '/v1/documents',
      headers: IDEMPOTENCY_KEYS ? { ...headers, 'idempotency-key': `bench-${randomBytes(12).toString('hex')}` } : headers,
      body: documentJson(doc),
    });
    const text = await response.body.text();
    const expected = doc.kind === 'MERGE' ? 200 : 201;
    if (response.statusCode !== expected) throw new Error(`${doc.kind} ${doc.orderNumber}: ${response.statusCode} ${text.slice(0, 300)}`);
  };
}

/**
 * The engine's work without its HTTP layer: the body parsed and validated, the document applied with this
 * process's expectations (as the engine does with its defaults), the response body serialized.
 */
function inProcessApplier(db: Db): (doc: BenchDocument) => Promise<void> {
  const expected = new ExpectedTargets(50_000);
  return async (doc) => {
    const document = validateDocument(JSON.parse(documentJson(doc)));
    const outcome = await applyDocument(db, document, { now: new Date(), expected });
    JSON.stringify(outcome.body);
    const status = doc.kind === 'MERGE' ? 200 : 201;
    if (outcome.status !== status) throw new Error(`${doc.kind} ${doc.orderNumber}: ${outcome.status} ${JSON.stringify(outcome.body).slice(0, 300)}`);
  };
}

// ---------------------------------------------------------------------------------------------------------------

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function describe(name: string, result: PhaseResult, withEngine: boolean): string {
  const { client, engine, postgres } = result.cpuMsPerDocument;
  const ms = (value: number | null) => (value === null ? '?' : value.toFixed(2));
  return (
    `${name.padEnd(36)} ${Math.round(result.docsPerSecond).toString().padStart(6)} docs/s ` +
    `(${result.documents} in ${result.seconds.toFixed(1)} s; p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms; ` +
    `CPU ms/doc: postgres ${ms(postgres)}${withEngine ? `, engine ${ms(engine)}` : ''}, client ${ms(client)})`
  );
}

const databaseName = `intake_bench_${randomBytes(6).toString('hex')}`;
const databaseUrl = new URL(ADMIN_URL);
databaseUrl.pathname = `/${databaseName}`;
const dataDir = mkdtempSync(join(tmpdir(), 'intake-bench-'));


/**
 * Each phase starts right after a checkpoint. Both write a lot of WAL (10 items a document), so the server's own
 * checkpoints (every max_wal_size) fall inside some phases and not others, and a phase after a checkpoint pays the
 * full-page images of every page it touches first: measured here as per-round ratios from 0.34 to 0.62 for the
 * same code. Needs a superuser (or pg_checkpoint); without one the phases run as they come.
 */
let checkpointRefused = false;
async function checkpoint(): Promise<void> {
  if (checkpointRefused) return;
  try {
    await adminQuery('CHECKPOINT');
  } catch (error) {
    checkpointRefused = true;
    console.log(`no CHECKPOINT before the phases (${(error as Error).message}): expect noisier rounds`);
  }
}

await adminQuery(`CREATE DATABASE ${databaseName}`);
let engine: { url: string; child: ChildProcess } | undefined;
let http: HttpPool | undefined;
let pool: pg.Pool | undefined;
let inProcessDb: Db | undefined;
try {
  const db = await openDb({ kind: 'postgres', url: databaseUrl.toString(), poolSize: 2 });
  try {
    await migrateEngine(db);
    await seedDemoData(db);
    await db.exec(CEILING_SQL);
  } finally {
    await db.close();
  }
  engine = await startEngine(databaseUrl.toString(), dataDir);
  enginePid = engine.child.pid === undefined ? null : String(engine.child.pid);
  const token = await accessToken(engine.url);
  http = new HttpPool(engine.url, { connections: CONCURRENCY, pipelining: 1 });
  pool = new pg.Pool({ connectionString: databaseUrl.toString(), max: CONCURRENCY });
  if (IN_PROCESS) inProcessDb = await openDb({ kind: 'postgres', url: databaseUrl.toString() });

  console.log(
    `mixed load: 1/3 new orders, 1/3 OVERWRITE, 1/3 MERGE of ${EXISTING} existing orders, ${ITEMS_PER_DOCUMENT} items each; ` +
      `concurrency ${CONCURRENCY}${IDEMPOTENCY_KEYS ? ', Idempotency-Key on every document' : ''}; ${WARMUP_SECONDS} s warm-up + ${SECONDS} s per phase; ${ROUNDS} round(s)`,
  );
  const engineRates: number[] = [];
  const ceilingRates: number[] = [];
  const inProcessRatios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // The ceiling first: the tables only grow, so the engine runs on the larger ones (not in its favour).
    const ceilingPrefix = `C${round}`;
    await seedExisting(pool, ceilingPrefix);
    await checkpoint();
    const ceiling = await runPhase(ceilingPrefix, async (doc) => {
      await pool!.query(ceilingQuery(doc));
    });
    console.log(describe(`ceiling (pg, 1 round trip/doc)`, ceiling, false));
    ceilingRates.push(ceiling.docsPerSecond);

    const enginePrefix = `E${round}`;
    await seedExisting(pool, enginePrefix);
    await checkpoint();
    const overHttp = await runPhase(enginePrefix, engineApplier(http, token));
    console.log(describe('engine over HTTP', overHttp, true));
    engineRates.push(overHttp.docsPerSecond);

    if (inProcessDb) {
      const inProcessPrefix = `I${round}`;
      await seedExisting(pool, inProcessPrefix);
      await checkpoint();
      const inProcess = await runPhase(inProcessPrefix, inProcessApplier(inProcessDb));
      console.log(describe('engine in-process (no HTTP)', inProcess, false));
      inProcessRatios.push(inProcess.docsPerSecond / ceiling.docsPerSecond);
    }
  }
  const engineRate = median(engineRates);
  const ceilingRate = median(ceilingRates);
  // On a shared machine the load drifts between rounds: the ratio of each round's neighbouring phases is steadier
  // than the ratio of the medians, so with several rounds the median of those ratios is printed.
  const ratios = engineRates.map((rate, round) => rate / ceilingRates[round]!);
  if (ROUNDS > 1) console.log(`per-round ratios: ${ratios.map((ratio) => ratio.toFixed(2)).join(', ')}`);
  if (inProcessRatios.length > 0) console.log(`engine in-process (no HTTP) / ceiling: ${median(inProcessRatios).toFixed(2)}${ROUNDS > 1 ? ' (median)' : ''}`);
  console.log(
    `engine over HTTP: ${Math.round(engineRate)} docs/s; ceiling (pg, 1 round trip/doc): ${Math.round(ceilingRate)} docs/s; ` +
      `ratio ${median(ratios).toFixed(2)}${ROUNDS > 1 ? ` (median of ${ROUNDS} rounds)` : ''}`,
  );
} finally {
  await http?.close().catch(() => undefined);
  await pool?.end().catch(() => undefined);
  await inProcessDb?.close().catch(() => undefined);
  if (engine) await stopEngine(engine.child);
  await adminQuery(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
  rmSync(dataDir, { recursive: true, force: true });
}
