/**
 * The whole pipeline against the engine alone, in one run (`npm run bench:pipeline -- [--documents 10000]
 * [--items 10] [--concurrency 16] [--latency-files 20] [--phase-timeout 300]`):
 *
 * 1. engine alone: the documents the mapping makes of the file, POSTed by a direct undici client at the
 *    concurrency the workers submit with (SUBMIT_CONCURRENCY), with an Idempotency-Key each, as the gateway;
 * 2. end to end, one `intake worker` process: a generated CSV of documents × items rows dropped into the drop
 *    folder, timed from the drop to the result file in outbound/ (receive, spool, ledger, parse, map, submit,
 *    finalize, deliver), and the submit stage alone (first to last document accepted, from the ledger);
 * 3. drop-to-result latency of a 10-row file (one document of 10 items), the median of --latency-files;
 * 4. end to end with two worker processes: the speed-up over one.
 *
 * The processes: the engine (`intake engine`) and the workers (`intake worker`) are separate processes; the
 * drop folder and the inbox run in this one (the product's own `startGateway` with intake only). PostgreSQL,
 * a database of the bench's own (BENCH_POSTGRES_URL, else TEST_POSTGRES_URL, else postgres@127.0.0.1); Redis at
 * REDIS_URL (default 127.0.0.1:6379) under a queue prefix of the bench's own. Everything it made (database,
 * Redis keys, temporary directories, processes) is removed at the end, also on failure or Ctrl-C.
 */
import { orderCsvMapping } from '../test/support/order-csv-mapping.ts';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { Pool as HttpPool } from 'undici';
import { loadEnv } from '../src/config/env.ts';
import { startGateway, type RunningGateway } from '../src/gateway/start-gateway.ts';
import { silentLogger } from '../src/log/logger.ts';
import { openDb, type Db } from '../src/store/db.ts';
import { deleteQueueKeys } from '../test/support/redis.ts';
import { DEMO_CLIENT, freePort, sleep, spawnIntake, waitFor, type IntakeProcess } from '../test/support/pipeline-processes.ts';
import { ADMIN_URL, adminQuery } from './bench-postgres.ts';

const { values: args } = parseArgs({
  options: {
    documents: { type: 'string', default: '10000' },
    items: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '16' },
    'latency-files': { type: 'string', default: '20' },
    'phase-timeout': { type: 'string', default: '300' },
  },
});
const DOCUMENTS = Number(args.documents);
const ITEMS = Number(args.items);
const CONCURRENCY = Number(args.concurrency);
const LATENCY_FILES = Number(args['latency-files']);
const PHASE_TIMEOUT_MS = Number(args['phase-timeout']) * 1000;
for (const [name, value] of Object.entries({ DOCUMENTS, ITEMS, CONCURRENCY, LATENCY_FILES, PHASE_TIMEOUT_MS })) {
  if (!Number.isInteger(value) || value <= 0) throw new Error(`bad --${name.toLowerCase()}`);
}

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const CUSTOMER = 'bench';
const DROP_POLL_MS = 100;

const CUSTOMER_YAML = 'business: kargo\nfacility: sf\ndirection: OUTBOUND\n';
const MAPPING = orderCsvMapping({ sorted: true });

// ---------------------------------------------------------------------------------------------------------------
// The load: one new order per document (the default strategy, OVERWRITE), ITEMS items each

interface BenchDocument {
  orderNumber: string;
  business: string;
  facility: string;
  direction: 'OUTBOUND';
  shipmentNumber: string;
  items: { lpn: string; sku: string; quantity: number; quantityUnit: string }[];
}

function benchDocument(prefix: string, d: number): BenchDocument {
  const order = `${prefix}-${String(d).padStart(6, '0')}`;
  return {
    orderNumber: order,
    business: 'kargo',
    facility: 'sf',
    direction: 'OUTBOUND',
    shipmentNumber: `${order}-S`,
    items: Array.from({ length: ITEMS }, (_, k) => ({ lpn: `L${d}-${k}`, sku: `SKU-${k}`, quantity: 1 + ((d + k) % 50), quantityUnit: k % 2 === 0 ? 'CASE' : 'UNIT' })),
  };
}

function csvOf(prefix: string, documents: number): string {
  const lines = ['order,shipment,lpn,sku,qty,unit'];
  for (let d = 0; d < documents; d++) {
    const doc = benchDocument(prefix, d);
    for (const item of doc.items) lines.push(`${doc.orderNumber},${doc.shipmentNumber},${item.lpn},${item.sku},${item.quantity},${item.quantityUnit}`);
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------------------
// Machine load: CPU busy share of the whole machine (/proc/stat) and CPU seconds of our processes (/proc/<pid>/stat)

function machineTicks(): { busy: number; total: number } {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    const total = fields.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    return 0;
  }
}

interface LoadSample {
  ticks: { busy: number; total: number };
  cpu: Record<string, number>;
}

function sampleLoad(processes: Record<string, number>): LoadSample {
  return { ticks: machineTicks(), cpu: Object.fromEntries(Object.entries(processes).map(([name, pid]) => [name, processCpuSeconds(pid)])) };
}

function describeLoad(before: LoadSample, after: LoadSample, seconds: number): string {
  const total = after.ticks.total - before.ticks.total;
  const busy = total > 0 ? (100 * (after.ticks.busy - before.ticks.busy)) / total : NaN;
  const perProcess = Object.keys(after.cpu)
    .map((name) => `${name} ${(((after.cpu[name] ?? 0) - (before.cpu[name] ?? 0)) / seconds).toFixed(2)}`)
    .join(', ');
  return `machine ${busy.toFixed(0)}% busy of ${cpus().length} cores; cores used: ${perProcess} (the rest: PostgreSQL, Redis)`;
}

// ---------------------------------------------------------------------------------------------------------------

const runId = randomBytes(4).toString('hex');
const databaseName = `intake_bench_${runId}`;
const databaseUrl = new URL(ADMIN_URL);
databaseUrl.pathname = `/${databaseName}`;
const prefix = `{intake-bench-${runId}}`;
const dir = mkdtempSync(join(tmpdir(), 'intake-bench-pipeline-'));
const dataDir = join(dir, 'data');
const mappingsDir = join(dir, 'mappings');
const logDir = join(dir, 'logs');
const dropRoot = join(dir, 'drop');
for (const d of [dataDir, join(mappingsDir, CUSTOMER), logDir, join(dropRoot, CUSTOMER, 'inbound')]) mkdirSync(d, { recursive: true });
writeFileSync(join(mappingsDir, CUSTOMER, 'customer.yaml'), CUSTOMER_YAML);
writeFileSync(join(mappingsDir, CUSTOMER, 'orders.yaml'), MAPPING);


let engine: IntakeProcess | undefined;
const workers: IntakeProcess[] = [];
let gateway: RunningGateway | undefined;
let db: Db | undefined;
let http: HttpPool | undefined;
let databaseCreated = false;
let cleaning: Promise<void> | undefined;

function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    const step = async (what: () => Promise<unknown>) => {
      try {
        await what();
      } catch (error) {
        console.error(`clean-up: ${(error as Error).message}`);
      }
    };
    for (const worker of workers) await step(() => worker.stop(5000));
    if (engine) await step(() => engine!.stop(5000));
    if (gateway) await step(() => gateway!.close());
    if (http) await step(() => http!.close());
    if (db) await step(() => db!.close());
    if (databaseCreated) await step(() => adminQuery(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`));
    await step(() => deleteQueueKeys(prefix, REDIS_URL));
    rmSync(dir, { recursive: true, force: true });
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`${signal}: cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  });
}

const workerEnv = (enginePort: number): Record<string, string> => ({
  DATABASE_URL: databaseUrl.toString(),
  REDIS_URL,
  QUEUE_PREFIX: prefix,
  DATA_DIR: dataDir,
  MAPPINGS_DIR: mappingsDir,
  ENGINE_URL: `http://127.0.0.1:${enginePort}`,
  ENGINE_CLIENT_ID: DEMO_CLIENT.clientId,
  ENGINE_CLIENT_SECRET: DEMO_CLIENT.clientSecret,
  SUBMIT_CONCURRENCY: String(CONCURRENCY),
  LOG_LEVEL: 'warn',
});

async function startWorkers(count: number, enginePort: number): Promise<void> {
  while (workers.length < count) workers.push(spawnIntake('worker', `worker-${workers.length + 1}`, workerEnv(enginePort), logDir));
  // Ready when every process has its BullMQ workers registered with Redis.
  await waitFor(
    `${count} worker processes ready`,
    async () => {
      for (const w of workers) if (!w.running) throw new Error(`${w.name} exited:\n${w.tail()}`);
      return (await gateway!.queues.queue('submit').getWorkersCount()) >= count && (await gateway!.queues.queue('parse').getWorkersCount()) >= count ? true : undefined;
    },
    60_000,
    100,
  );
}

/** Drops a file into the customer's inbound folder (written aside, then renamed in) and waits for its result. */
async function dropAndWait(name: string, content: string, timeoutMs: number, everyMs: number): Promise<number> {
  const staged = join(dropRoot, CUSTOMER, `.${name}.staged`);
  writeFileSync(staged, content);
  const result = join(dropRoot, CUSTOMER, 'outbound', `${name}.result.json`);
  const started = performance.now();
  renameSync(staged, join(dropRoot, CUSTOMER, 'inbound', name));
  await waitFor(`the result of ${name}`, () => (existsSync(result) ? true : undefined), timeoutMs, everyMs);
  const elapsed = performance.now() - started;
  const outcome = JSON.parse(readFileSync(result, 'utf8')) as { file: { state: string }; documents: { outcome: string }[] };
  if (outcome.file.state !== 'COMPLETED') throw new Error(`${name} ended ${outcome.file.state}`);
  return elapsed;
}

/** The submit stage's own rate, from the ledger: documents over first-to-last accepted. */
async function submitRate(originalName: string): Promise<number> {
  const { rows } = await db!.query<{ n: number; seconds: number }>(
    `SELECT count(*)::int AS n, extract(epoch FROM max(d.updated_at) - min(d.updated_at))::float8 AS seconds
       FROM gateway.documents d JOIN gateway.files f ON f.id = d.file_id
      WHERE f.original_name = $1 AND d.state = 'ACCEPTED'`,
    [originalName],
  );
  return (rows[0]?.n ?? 0) / (rows[0]?.seconds || Number.NaN);
}

async function pipelineRun(label: string, orderPrefix: string, pids: () => Record<string, number>): Promise<{ rate: number; submitRate: number; seconds: number; load: string }> {
  const csv = csvOf(orderPrefix, DOCUMENTS);
  const name = `${orderPrefix}.csv`;
  const before = sampleLoad(pids());
  const ms = await dropAndWait(name, csv, PHASE_TIMEOUT_MS, 50);
  const seconds = ms / 1000;
  const load = describeLoad(before, sampleLoad(pids()), seconds);
  const rate = DOCUMENTS / seconds;
  const submit = await submitRate(name);
  console.log(
    `${label.padEnd(34)} ${Math.round(rate).toString().padStart(6)} docs/s drop to result (${DOCUMENTS} documents, ${DOCUMENTS * ITEMS} rows, ${(csv.length / 1e6).toFixed(1)} MB, ${seconds.toFixed(1)} s); submit stage ${Math.round(submit)} docs/s\n${''.padEnd(36)}${load}`,
  );
  return { rate, submitRate: submit, seconds, load };
}

try {
  const deadline = setTimeout(() => {
    console.error('the bench ran past its time bound; cleaning up');
    void cleanUp().finally(() => process.exit(2));
  }, PHASE_TIMEOUT_MS * 4);
  deadline.unref();

  await adminQuery(`CREATE DATABASE ${databaseName}`);
  databaseCreated = true;
  db = await openDb({ kind: 'postgres', url: databaseUrl.toString(), poolSize: 4 });

  const enginePort = await freePort();
  engine = spawnIntake(
    'engine',
    'engine',
    { DATABASE_URL: databaseUrl.toString(), HOST: '127.0.0.1', PORT: String(enginePort), ENGINE_DEMO: '1', DATA_DIR: join(dir, 'engine-data'), ENGINE_JWT_SECRET: randomBytes(32).toString('hex'), LOG_LEVEL: 'warn' },
    logDir,
  );
  const engineUrl = `http://127.0.0.1:${enginePort}`;
  await waitFor(
    'the engine /healthz',
    async () => {
      if (!engine!.running) throw new Error(`the engine exited:\n${engine!.tail()}`);
      try {
        return (await fetch(`${engineUrl}/healthz`)).ok ? true : undefined;
      } catch {
        return undefined;
      }
    },
    60_000,
    100,
  );

  // The intake of the product, in this process: drop folder → inbox (spool, ledger, parse queue). No workers.
  const env = loadEnv({
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl.toString(),
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    MAPPINGS_DIR: mappingsDir,
    DROP_DIR: dropRoot,
    DROP_POLL_INTERVAL_MS: String(DROP_POLL_MS),
    DROP_MIN_AGE_MS: '0',
    GATEWAY_PORT: '0',
    LOG_LEVEL: 'silent',
  });
  gateway = await startGateway(env, db, silentLogger, { baseUrl: engineUrl, ...DEMO_CLIENT }, { intake: true, workers: false });
  await startWorkers(1, enginePort);

  console.log(
    `${DOCUMENTS} documents × ${ITEMS} items (one new order each, default strategy OVERWRITE), concurrency ${CONCURRENCY} per worker process (SUBMIT_CONCURRENCY), ` +
      `Idempotency-Key on every document; PostgreSQL ${databaseUrl.host}, Redis ${new URL(REDIS_URL).host}; drop folder polled every ${DROP_POLL_MS} ms, DROP_MIN_AGE_MS 0; ` +
      `${cpus().length} cores, load average before ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  );
  const pids = () => ({
    engine: engine!.pid,
    ...Object.fromEntries(workers.map((w) => [w.name, w.pid])),
    'bench+intake': process.pid,
  });

  // 1. The engine alone, the same documents at the same concurrency.
  const tokenResponse = await fetch(`${engineUrl}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credentials', client_id: DEMO_CLIENT.clientId, client_secret: DEMO_CLIENT.clientSecret }),
  });
  if (!tokenResponse.ok) throw new Error(`token: ${tokenResponse.status} ${await tokenResponse.text()}`);
  const token = ((await tokenResponse.json()) as { access_token: string }).access_token;
  http = new HttpPool(engineUrl, { connections: CONCURRENCY, pipelining: 1 });
  const directRun = async (orderPrefix: string, concurrency: number): Promise<number> => {
    let next = 0;
    const before = sampleLoad(pids());
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let d = next++; d < DOCUMENTS; d = next++) {
          const response = await http!.request({
            method: 'POST',
            path: '/v1/documents',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': `direct-${orderPrefix}-${d}` },
            body: JSON.stringify(benchDocument(orderPrefix, d)),
          });
          const text = await response.body.text();
          if (response.statusCode !== 201) throw new Error(`document ${d}: ${response.statusCode} ${text.slice(0, 300)}`);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const rate = DOCUMENTS / seconds;
    console.log(
      `${`engine alone, concurrency ${concurrency}`.padEnd(34)} ${Math.round(rate).toString().padStart(6)} docs/s (${DOCUMENTS} documents in ${seconds.toFixed(1)} s)\n${''.padEnd(36)}${describeLoad(before, sampleLoad(pids()), seconds)}`,
    );
    return rate;
  };
  const engineRate = await directRun('EA', CONCURRENCY);

  // 2. End to end with one worker process (after the engine alone: on the larger tables, not in its favour).
  const one = await pipelineRun('end to end, 1 worker process', 'P1', pids);
  // The mapping made the same documents the engine-alone phase posted.
  const { rows: sample } = await db.query<{ payload: unknown }>(`SELECT payload FROM gateway.documents d JOIN gateway.files f ON f.id = d.file_id WHERE f.original_name = 'P1.csv' AND d.idx = 7`);
  if (!isDeepStrictEqual(sample[0]?.payload, benchDocument('P1', 7))) {
    console.log(`note: the mapped document differs from the engine-alone one: ${JSON.stringify(sample[0]?.payload)}`);
  }

  // 3. Drop-to-result latency of a 10-row file (one document of 10 items), one at a time.
  const latencies: number[] = [];
  for (let i = 0; i < LATENCY_FILES; i++) {
    const lines = ['order,shipment,lpn,sku,qty,unit'];
    for (let k = 0; k < 10; k++) lines.push(`LAT-${i},LAT-${i}-S,L${k},SKU-${k},${k + 1},CASE`);
    latencies.push(await dropAndWait(`lat-${i}.csv`, `${lines.join('\n')}\n`, 60_000, 5));
    await sleep(50);
  }
  latencies.sort((a, b) => a - b);
  const median = latencies.length % 2 ? latencies[(latencies.length - 1) / 2]! : (latencies[latencies.length / 2 - 1]! + latencies[latencies.length / 2]!) / 2;
  console.log(
    `${'drop to result, 10-row file'.padEnd(34)} median ${median.toFixed(0)} ms of ${LATENCY_FILES} (min ${latencies[0]!.toFixed(0)}, max ${latencies.at(-1)!.toFixed(0)} ms; includes the drop folder's stability check: ` +
      `two polls ${DROP_POLL_MS} ms apart)`,
  );

  // 4. Two worker processes.
  await startWorkers(2, enginePort);
  const two = await pipelineRun('end to end, 2 worker processes', 'P2', pids);

  console.log(
    `end to end (1 worker): ${Math.round(one.rate)} docs/s; engine alone: ${Math.round(engineRate)} docs/s; ratio ${(one.rate / engineRate).toFixed(2)} (goal ≥ 0.8; submit stage alone ${(one.submitRate / engineRate).toFixed(2)}); ` +
      `2 workers: ${Math.round(two.rate)} docs/s, speed-up ${(two.rate / one.rate).toFixed(2)}×; 10-row file drop to result: median ${median.toFixed(0)} ms`,
  );
  clearTimeout(deadline);
} catch (error) {
  process.exitCode = 1;
  console.error(error);
  for (const p of [engine, ...workers]) if (p) console.error(`--- ${p.name}:\n${p.tail(20)}`);
} finally {
  await cleanUp();
}
