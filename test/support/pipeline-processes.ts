import { orderCsvMapping } from './order-csv-mapping.ts';
import { freePort } from './free-port.ts';
import { sleep, waitFor } from './wait-for.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Inbox, type Receipt } from '../../src/inbox/inbox.ts';
import { migrateLedger } from '../../src/ledger/migrations.ts';
import { createLogger, silentLogger } from '../../src/log/logger.ts';
import { PipelineQueues, STAGES } from '../../src/pipeline/queues.ts';
import { openDb, type Db } from '../../src/store/db.ts';
import { deleteQueueKeys, testQueuePrefix, TEST_REDIS_URL } from './redis.ts';
import { createPostgresDatabase } from './stores.ts';

/**
 * The product as separate processes, for fault tests and benches: an `intake engine` process and any number of
 * `intake worker` processes (each one a real OS process the test may SIGKILL), all on a PostgreSQL database, a
 * queue prefix and a data directory of the caller's own. Files enter through an Inbox in the caller's process
 * over the same ledger and queues (the way every channel hands files in), on the `cli` channel (no delivery).
 */

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DEMO_CLIENT = { clientId: 'demo-client', clientSecret: 'demo-secret' } as const;


export { freePort } from './free-port.ts';
export { sleep, waitFor } from './wait-for.ts';

/** One `intake <command>` child process; its stdout and stderr go to a log file (shown when a test fails). */
export class IntakeProcess {
  readonly exited: Promise<number | null>;
  private readonly lines: string[] = [];
  private readonly log: WriteStream;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly logPath: string,
  ) {
    this.log = createWriteStream(logPath, { flags: 'a' });
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const take = (chunk: Buffer) => {
      this.log.write(chunk);
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') this.lines.push(line);
      if (this.lines.length > 2000) this.lines.splice(0, this.lines.length - 2000);
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    void this.exited.then(() => this.log.end());
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until a log line contains `text` (a pino `msg`), or the process exits. */
  async waitForLine(text: string, timeoutMs = 60_000): Promise<void> {
    await waitFor(`${this.name}: "${text}"`, () => {
      if (this.lines.some((line) => line.includes(text))) return true;
      if (!this.running) throw new Error(`${this.name} exited (${this.child.exitCode ?? this.child.signalCode}) before "${text}":\n${this.tail()}`);
      return undefined;
    }, timeoutMs);
  }

  tail(n = 30): string {
    return this.lines.slice(-n).join('\n');
  }

  /** SIGKILL: no shutdown code runs, as when a machine dies. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return void (await this.exited);
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.running && this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

export function spawnIntake(command: string, name: string, env: Record<string, string>, logDir: string): IntakeProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', command], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new IntakeProcess(name, child, join(logDir, `${name}.log`));
}

export interface ClusterOptions {
  /** customer id → { customer.yaml, mapping files }. */
  customers: Record<string, { customer: string; mappings: Record<string, string> }>;
  /** Redis the queues live on (default: the test Redis). */
  redisUrl?: string;
  /** Settings for every worker process (SUBMIT_*, ENGINE_TIMEOUT_MS, …). */
  workerEnv?: Record<string, string>;
  /** Log level of the child processes (default info: readiness is read from their log). */
  logLevel?: string;
}

export interface FileResult {
  id: string;
  state: string;
  finished: boolean;
  delivered: boolean;
  resultJson: { file: { state: string }; documents: { index: number; outcome: string; engineStatus?: number; error?: { code: string; message: string } | null }[] } | undefined;
}

/** Database, engine process, worker processes, an in-process Inbox; `close` removes all of it. */
export class PipelineCluster {
  readonly dir: string;
  readonly dataDir: string;
  readonly mappingsDir: string;
  readonly logDir: string;
  readonly prefix = testQueuePrefix();
  readonly jwtSecret = randomBytes(32).toString('hex');
  readonly redisUrl: string;
  databaseUrl = '';
  db!: Db;
  queues!: PipelineQueues;
  inbox!: Inbox;
  engine: IntakeProcess | undefined;
  enginePort = 0;
  readonly workers: IntakeProcess[] = [];
  private dropDatabase: (() => Promise<void>) | undefined;
  private workerCount = 0;

  private constructor(readonly options: ClusterOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'intake-faults-'));
    this.dataDir = join(this.dir, 'data');
    this.mappingsDir = join(this.dir, 'mappings');
    this.logDir = join(this.dir, 'logs');
    for (const d of [this.dataDir, this.mappingsDir, this.logDir]) mkdirSync(d, { recursive: true });
    for (const [customer, files] of Object.entries(options.customers)) {
      mkdirSync(join(this.mappingsDir, customer));
      writeFileSync(join(this.mappingsDir, customer, 'customer.yaml'), files.customer);
      for (const [name, text] of Object.entries(files.mappings)) writeFileSync(join(this.mappingsDir, customer, name), text);
    }
    this.redisUrl = options.redisUrl ?? TEST_REDIS_URL;
  }

  static async create(options: ClusterOptions): Promise<PipelineCluster> {
    const cluster = new PipelineCluster(options);
    try {
      const database = await createPostgresDatabase();
      cluster.databaseUrl = database.url;
      cluster.dropDatabase = database.drop;
      cluster.db = await openDb({ kind: 'postgres', url: database.url, poolSize: 4 });
      await migrateLedger(cluster.db);
      cluster.queues = new PipelineQueues({ redisUrl: cluster.redisUrl, prefix: cluster.prefix });
      // A Redis restart is a fault some tests inject: the reconnects are expected, not noise for the console.
      cluster.queues.connection.on('error', () => undefined);
      for (const stage of STAGES) cluster.queues.queue(stage).on('error', () => undefined);
      const logger = process.env.INTAKE_TEST_LOG ? createLogger({ level: process.env.INTAKE_TEST_LOG, pretty: false }) : silentLogger;
      cluster.inbox = new Inbox({ db: cluster.db, spoolDir: join(cluster.dataDir, 'spool'), queues: cluster.queues, logger, duplicateWindowHours: 24, maxFileBytes: 1 << 30 });
      return cluster;
    } catch (error) {
      await cluster.close().catch(() => undefined);
      throw error;
    }
  }

  get engineUrl(): string {
    return `http://127.0.0.1:${this.enginePort}`;
  }

  /** Starts (or restarts, on the same port) the engine process and waits for /healthz. */
  async startEngine(): Promise<IntakeProcess> {
    if (this.enginePort === 0) this.enginePort = await freePort();
    const engine = spawnIntake(
      'engine',
      `engine-${Date.now()}`,
      {
        DATABASE_URL: this.databaseUrl,
        HOST: '127.0.0.1',
        PORT: String(this.enginePort),
        ENGINE_DEMO: '1',
        DATA_DIR: join(this.dir, 'engine-data'),
        ENGINE_JWT_SECRET: this.jwtSecret,
        LOG_LEVEL: 'warn',
      },
      this.logDir,
    );
    this.engine = engine;
    await waitFor(
      'the engine /healthz',
      async () => {
        if (!engine.running) throw new Error(`the engine exited:\n${engine.tail()}`);
        try {
          return (await fetch(`${this.engineUrl}/healthz`, { signal: AbortSignal.timeout(1000) })).ok ? true : undefined;
        } catch {
          return undefined;
        }
      },
      60_000,
      100,
    );
    return engine;
  }

  /** An `intake worker` process; resolves once it has recovered the pipeline and its workers run. */
  async startWorker(settings: { engineUrl?: string; env?: Record<string, string> } = {}): Promise<IntakeProcess> {
    const worker = spawnIntake(
      'worker',
      `worker-${++this.workerCount}`,
      {
        DATABASE_URL: this.databaseUrl,
        REDIS_URL: this.redisUrl,
        QUEUE_PREFIX: this.prefix,
        DATA_DIR: this.dataDir,
        MAPPINGS_DIR: this.mappingsDir,
        ENGINE_URL: settings.engineUrl ?? this.engineUrl,
        ENGINE_CLIENT_ID: DEMO_CLIENT.clientId,
        ENGINE_CLIENT_SECRET: DEMO_CLIENT.clientSecret,
        LOG_LEVEL: this.options.logLevel ?? 'info',
        SUBMIT_RETRY_BASE_MS: '50',
        QUEUE_LOCK_MS: '5000',
        SUBMIT_RETRY_MAX_MS: '1000',
        ENGINE_TIMEOUT_MS: '2000',
        ...this.options.workerEnv,
        ...settings.env,
      },
      this.logDir,
    );
    this.workers.push(worker);
    await worker.waitForLine('workers running');
    return worker;
  }

  receive(customer: string, name: string, content: string | Uint8Array): Promise<Receipt> {
    return this.inbox.receive({ customer, channel: 'cli', originalName: name, content: typeof content === 'string' ? Buffer.from(content) : content });
  }

  /** The file's ledger state, and its result file once written. */
  async file(fileId: string): Promise<FileResult> {
    const { rows } = await this.db.query<{ id: string; state: string; original_name: string; finished_at: Date | null; delivered: boolean }>(
      `SELECT f.id, f.state, f.original_name, f.finished_at,
              EXISTS (SELECT 1 FROM gateway.deliveries d WHERE d.file_id = f.id AND d.state = 'DELIVERED') AS delivered
         FROM gateway.files f WHERE f.id = $1`,
      [fileId],
    );
    const row = rows[0];
    if (!row) throw new Error(`no file ${fileId}`);
    let resultJson: FileResult['resultJson'];
    try {
      resultJson = JSON.parse(readFileSync(join(this.dataDir, 'results', fileId, `${row.original_name}.result.json`), 'utf8'));
    } catch {
      resultJson = undefined;
    }
    return { id: row.id, state: row.state, finished: row.finished_at !== null, delivered: row.delivered, resultJson };
  }

  /** Waits until every file is final, its result written and delivered; says where each one is stuck otherwise. */
  async waitForFinal(fileIds: string[], timeoutMs: number): Promise<FileResult[]> {
    let last: FileResult[] = [];
    try {
      return await waitFor(
        'every file to reach a final state with a result',
        async () => {
          last = await Promise.all(fileIds.map((id) => this.file(id)));
          return last.every((f) => f.finished && f.delivered && f.resultJson) ? last : undefined;
        },
        timeoutMs,
        250,
      );
    } catch (error) {
      const { rows } = await this.db.query<{ file_id: string; state: string; n: number }>(
        'SELECT file_id, state, count(*)::int AS n FROM gateway.documents WHERE file_id = ANY($1::text[]) GROUP BY 1, 2 ORDER BY 1, 2',
        [fileIds],
      );
      const depths = await this.queues.depths().catch(() => ({}));
      throw new Error(
        `${(error as Error).message}\nfiles: ${JSON.stringify(last.map((f) => ({ id: f.id, state: f.state, finished: f.finished, delivered: f.delivered })))}\n` +
          `documents: ${JSON.stringify(rows)}\nqueues: ${JSON.stringify(depths)}\n` +
          this.workers.map((w) => `--- ${w.name} (${w.running ? 'running' : 'exited'}):\n${w.tail(15)}`).join('\n'),
      );
    }
  }

  /** Counts of the files' documents by ledger state. */
  async documentStates(fileIds: string[]): Promise<Record<string, number>> {
    const { rows } = await this.db.query<{ state: string; n: number }>(
      'SELECT state, count(*)::int AS n FROM gateway.documents WHERE file_id = ANY($1::text[]) GROUP BY state',
      [fileIds],
    );
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  /** Documents of the files sent more than once (retries, re-runs after a crash), and the most attempts of one. */
  async retried(fileIds: string[]): Promise<{ documents: number; maxAttempts: number }> {
    const { rows } = await this.db.query<{ n: number; max: number | null }>(
      'SELECT count(*) FILTER (WHERE attempts > 1)::int AS n, max(attempts)::int AS max FROM gateway.documents WHERE file_id = ANY($1::text[])',
      [fileIds],
    );
    return { documents: rows[0]?.n ?? 0, maxAttempts: rows[0]?.max ?? 0 };
  }

  /** The engine's items of the orders whose number starts with `prefix`: order number → lpn → how many rows. */
  async engineItems(orderPrefix: string): Promise<Map<string, Map<string, { rows: number; quantity: number }>>> {
    const { rows } = await this.db.query<{ order_number: string; lpn: string; n: number; quantity: string }>(
      `SELECT o.order_number, i.lpn, count(*)::int AS n, sum(i.quantity)::text AS quantity
         FROM engine.orders o JOIN engine.order_items i ON i.order_id = o.id
        WHERE o.order_number LIKE $1 || '%'
        GROUP BY 1, 2`,
      [orderPrefix],
    );
    const result = new Map<string, Map<string, { rows: number; quantity: number }>>();
    for (const row of rows) {
      let order = result.get(row.order_number);
      if (!order) result.set(row.order_number, (order = new Map()));
      order.set(row.lpn, { rows: row.n, quantity: Number(row.quantity) });
    }
    return result;
  }

  /** How many engine orders carry the number (a second order for one number would be a double application). */
  async engineOrderCount(orderPrefix: string): Promise<{ orders: number; distinctNumbers: number }> {
    const { rows } = await this.db.query<{ orders: number; numbers: number }>(
      `SELECT count(*)::int AS orders, count(DISTINCT order_number)::int AS numbers FROM engine.orders WHERE order_number LIKE $1 || '%'`,
      [orderPrefix],
    );
    return { orders: rows[0]?.orders ?? 0, distinctNumbers: rows[0]?.numbers ?? 0 };
  }

  async close(): Promise<void> {
    const errors: unknown[] = [];
    const attempt = async (step: () => Promise<unknown>) => {
      try {
        await step();
      } catch (error) {
        errors.push(error);
      }
    };
    for (const worker of this.workers) await attempt(() => worker.stop(5000));
    if (this.engine) await attempt(() => this.engine!.stop(5000));
    if (this.queues) await attempt(() => this.queues.close());
    if (this.db) await attempt(() => this.db.close());
    if (this.dropDatabase) await attempt(() => this.dropDatabase!());
    await attempt(() => deleteQueueKeys(this.prefix, this.redisUrl));
    if (process.env.INTAKE_KEEP_FAULT_DIRS) console.log(`kept ${this.dir}`);
    else rmSync(this.dir, { recursive: true, force: true });
    if (errors.length > 0) throw errors[0];
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The load the fault tests count: APPEND documents, each with distinct lpns, several documents per order

export const CUSTOMER_YAML = `business: kargo
facility: sf
direction: OUTBOUND
`;

/** Groups rows by the `doc` column (several documents per order), APPEND: a second application is a 409. */
export const APPEND_MAPPING = orderCsvMapping({ groupBy: 'doc', sorted: true, strategy: 'APPEND' });

export interface GeneratedFile {
  csv: string;
  documents: number;
  /** order number → the lpns it must end with. */
  expected: Map<string, string[]>;
}

/**
 * `documents` APPEND documents over `documents / perOrder` orders (document d belongs to order d % orders, so
 * an order's documents are spread over the file and run one after another), `items` items each.
 */
export function appendFile(orderPrefix: string, documents: number, options: { perOrder?: number; items?: number } = {}): GeneratedFile {
  const perOrder = options.perOrder ?? 4;
  const items = options.items ?? 2;
  const orders = Math.max(1, Math.ceil(documents / perOrder));
  const lines = ['doc,order,shipment,lpn,sku,qty,unit'];
  const expected = new Map<string, string[]>();
  for (let d = 0; d < documents; d++) {
    const order = `${orderPrefix}-O${String(d % orders).padStart(5, '0')}`;
    const lpns = expected.get(order) ?? [];
    expected.set(order, lpns);
    for (let k = 0; k < items; k++) {
      const lpn = `L${d}-${k}`;
      lpns.push(lpn);
      lines.push(`D${d},${order},${order}-S,${lpn},SKU${k},${1 + k},CASE`);
    }
  }
  return { csv: `${lines.join('\n')}\n`, documents, expected };
}

export interface Tally {
  expectedItems: number;
  /** Expected items the engine does not have. */
  lost: number;
  /** Items present more than once, plus items nobody sent. */
  extra: number;
  /** Documents the engine refused as already applied (409 on APPEND): a second application. */
  appliedTwice: number;
}

/** Reads the engine back and compares with what the files said. */
export async function tally(cluster: PipelineCluster, orderPrefix: string, expected: Map<string, string[]>, results: FileResult[]): Promise<Tally> {
  const items = await cluster.engineItems(orderPrefix);
  let expectedItems = 0;
  let lost = 0;
  let extra = 0;
  for (const [order, lpns] of expected) {
    const present = items.get(order) ?? new Map();
    for (const lpn of lpns) {
      expectedItems++;
      const found = present.get(lpn);
      if (!found) lost++;
      else if (found.rows > 1) extra += found.rows - 1;
    }
    for (const lpn of present.keys()) if (!lpns.includes(lpn)) extra++;
  }
  for (const order of items.keys()) if (!expected.has(order)) extra += items.get(order)!.size;
  const appliedTwice = results
    .flatMap((r) => r.resultJson?.documents ?? [])
    .filter((d) => d.engineStatus === 409 || d.error?.code === 'DUPLICATE_ORDER_ITEM_KEY').length;
  return { expectedItems, lost, extra, appliedTwice };
}
