import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Env } from '../config/env.ts';
import { DropFolder, type FolderReplyTo } from '../channels/folder/drop-folder.ts';
import { folderDeliverer } from '../channels/folder/deliver-to-folder.ts';
import { createEngineClient, retryDelayMs } from '../engine-client/index.ts';
import { Inbox } from '../inbox/inbox.ts';
import { findFileBySource } from '../ledger/files-repo.ts';
import { migrateLedger } from '../ledger/migrations.ts';
import { redactUrlCredentials, type Logger } from '../log/logger.ts';
import { runDeliverJob, type ResultDeliverer } from '../pipeline/deliver-stage.ts';
import { runFinalizeJob } from '../pipeline/finalize-stage.ts';
import { createFileMapper } from '../pipeline/map-file.ts';
import { refuseFile, runParseJob } from '../pipeline/parse-stage.ts';
import { PipelineQueues } from '../pipeline/queues.ts';
import { recoverPipeline } from '../pipeline/recover-pipeline.ts';
import { watchForRedisLoss } from '../pipeline/redis-loss.ts';
import { replayFile } from '../pipeline/replay.ts';
import { regressMapping } from '../pipeline/regress-mapping.ts';
import { cachedHttpCustomers } from '../channels/http/index.ts';
import { runSubmitJob } from '../pipeline/submit-stage.ts';
import { PipelineWorkers } from '../pipeline/workers.ts';
import type { Db } from '../store/db.ts';
import { createDeliverers, loadCustomerChannels, startChannels, withoutDemoTokens } from './channels.ts';
import { listCustomers } from './customers.ts';
import { buildGatewayApp } from './http/gateway-app.ts';
import { GatewayMetrics } from './metrics.ts';
import { loadOpsToken } from './ops-token.ts';
import { withinDeadline } from '../runtime/within-deadline.ts';
import { checkReadiness } from './readiness.ts';

export interface EngineConnection {
  baseUrl: string;
  tokenUrl?: string | undefined;
  audience?: string | undefined;
  clientId: string;
  clientSecret: string;
}

export interface GatewayParts {
  /** Intake: the drop folders and the gateway's HTTP. Off for `intake worker`. */
  intake: boolean;
  /** The pipeline's workers. */
  workers: boolean;
}

export interface RunningGateway {
  url: string | undefined;
  app: FastifyInstance | undefined;
  inbox: Inbox;
  queues: PipelineQueues;
  close(): Promise<void>;
}

/** Where a running gateway keeps things under DATA_DIR. */
export function gatewayPaths(env: Env) {
  return {
    spoolDir: resolve(env.DATA_DIR, 'spool'),
    resultsDir: resolve(env.DATA_DIR, 'results'),
    dropDir: resolve(env.DROP_DIR ?? join(env.DATA_DIR, 'dropbox')),
  };
}

/** How long /readyz and /metrics wait for one dependency before saying it does not answer. */
const PROBE_TIMEOUT_MS = 2000;

/**
 * A read of Redis for /readyz or /metrics. BullMQ's connection keeps commands queued while Redis is away
 * (maxRetriesPerRequest null, so jobs wait out a reconnect): a probe sent then would wait for Redis's return
 * and pile up, so it is only sent on a connected connection, and bounded.
 */
async function readRedis<T>(queues: PipelineQueues, read: () => Promise<T>): Promise<T> {
  const status = queues.connection.status;
  if (status !== 'ready') throw new Error(`Redis connection is ${status} at ${redactUrlCredentials(queues.settings.redisUrl)}`);
  return withinDeadline(read(), PROBE_TIMEOUT_MS);
}

/** BullMQ loses jobs when Redis evicts keys under memory pressure: anything but noeviction is a loud warning. */
async function checkRedisPolicy(queues: PipelineQueues, logger: Logger): Promise<void> {
  try {
    const reply = (await queues.connection.config('GET', 'maxmemory-policy')) as string[];
    const policy = reply[1];
    if (policy !== 'noeviction') {
      logger.warn({ policy }, `Redis maxmemory-policy is "${policy}": queued jobs can be evicted and lost. Set maxmemory-policy noeviction.`);
    }
  } catch (error) {
    logger.warn({ err: error }, 'could not read Redis maxmemory-policy (CONFIG GET refused?): make sure it is noeviction');
  }
}

/**
 * The gateway in one call: ledger, inbox, queues, workers, drop folders and the gateway HTTP, wired from the
 * environment. `npm start` runs it next to the engine on one store; `intake worker` runs only its workers.
 */
export async function startGateway(env: Env, db: Db, logger: Logger, engine: EngineConnection, parts: GatewayParts): Promise<RunningGateway> {
  const paths = gatewayPaths(env);
  const mappingsDir = resolve(env.MAPPINGS_DIR);
  await migrateLedger(db);
  const queues = new PipelineQueues({ redisUrl: env.REDIS_URL, prefix: env.QUEUE_PREFIX, logger });
  await checkRedisPolicy(queues, logger);
  const inbox = new Inbox({ db, spoolDir: paths.spoolDir, queues, logger, duplicateWindowHours: env.DUPLICATE_WINDOW_HOURS, maxFileBytes: env.MAX_FILE_BYTES });
  const mapper = createFileMapper({ mappingsDir, logger });
  const metrics = new GatewayMetrics({ db, logger, queueDepths: () => readRedis(queues, () => queues.depths()) });
  const closers: (() => Promise<void>)[] = [() => queues.close()];
  const customerChannels = await loadCustomerChannels(mappingsDir, logger);
  const mappedHttpCustomers = cachedHttpCustomers(mappingsDir, { logger });
  const httpCustomers = env.ENGINE_DEMO ? mappedHttpCustomers : withoutDemoTokens(mappedHttpCustomers, logger);

  if (parts.workers) {
    const engineClient = createEngineClient({ ...engine, timeoutMs: env.ENGINE_TIMEOUT_MS, connections: env.SUBMIT_CONCURRENCY, logger });
    const stageDeps = {
      db,
      logger,
      enqueueSubmits: (jobs: { fileId: string; idx: number }[]) => queues.enqueueSubmits(jobs),
      enqueueFinalize: (job: { fileId: string }) => queues.enqueueFinalize(job),
    };
    const channelDeliverers = createDeliverers(env, customerChannels, httpCustomers, logger);
    // Files sent with `intake submit` have no way back but the ledger: their results stay under DATA_DIR/results.
    const deliverers: Record<string, ResultDeliverer> = { folder: folderDeliverer(), cli: { deliver: async () => undefined }, ...channelDeliverers.deliverers };
    closers.push(async () => channelDeliverers.close());
    const workers = new PipelineWorkers(
      {
        parse: (job, progress, defer) => metrics.time('parse', () => runParseJob({ ...stageDeps, mapper }, job, progress, defer)),
        submit: (job, defer) =>
          metrics.time('submit', () =>
            runSubmitJob(
              {
                ...stageDeps,
                submitter: engineClient,
                maxAttempts: env.SUBMIT_MAX_ATTEMPTS,
                retryDelayMs: (attempt, outcome) => retryDelayMs(attempt, outcome, { baseMs: env.SUBMIT_RETRY_BASE_MS, maxMs: env.SUBMIT_RETRY_MAX_MS }),
              },
              job,
              defer,
            ),
          ),
        finalize: (job) => metrics.time('finalize', () => runFinalizeJob({ db, logger, resultsDir: paths.resultsDir, enqueueDeliver: (j) => queues.enqueueDeliver(j) }, job)),
        deliver: (job) => metrics.time('deliver', () => runDeliverJob({ db, logger, resultsDir: paths.resultsDir, deliverers }, job)),
        // The customer reads this message in the result: what went wrong on our side (a database error, a path)
        // stays in the operator's log ('job failed', with the file id), not in the customer's result.
        parseGaveUp: (job) =>
          refuseFile(stageDeps, job.fileId, {
            code: 'PARSE_FAILED',
            message: `the file could not be processed because of a problem on our side, not in the file; we can process it again without you sending it (reference ${job.fileId})`,
            place: {},
          }),
      },
      { redisUrl: env.REDIS_URL, prefix: env.QUEUE_PREFIX, logger, lockMs: env.QUEUE_LOCK_MS, concurrency: { parse: 2, submit: env.SUBMIT_CONCURRENCY, finalize: 4, deliver: 4 } },
    );
    workers.start();
    closers.push(async () => {
      await workers.close();
      await engineClient.close();
    });
  }

  const reconciled = await inbox.reconcile();
  const recovered = await recoverPipeline(db, queues);
  logger.info({ ...reconciled, ...recovered }, 'ledger reconciled with the spool and the queues');
  const redisLoss = await watchForRedisLoss(
    queues.connection,
    `${env.QUEUE_PREFIX}:alive`,
    async () => logger.warn(await recoverPipeline(db, queues), 'in-flight work queued again after a Redis loss'),
    logger,
  );
  closers.push(async () => redisLoss.stop());

  let app: FastifyInstance | undefined;
  let url: string | undefined;
  if (parts.intake) {
    const customers = listCustomers(mappingsDir);
    if (customers.length === 0) logger.warn({ mappingsDir }, `MAPPINGS_DIR ${mappingsDir} holds no customer (no <customer>/customer.yaml): every file will be refused`);
    const dropFolder = new DropFolder({
      root: paths.dropDir,
      customers,
      inbox,
      logger: logger.child({ channel: 'folder' }),
      pollIntervalMs: env.DROP_POLL_INTERVAL_MS,
      minAgeMs: env.DROP_MIN_AGE_MS,
      async findReceived(customer, source) {
        const file = await findFileBySource(db, customer, 'folder', source);
        const consumedPath = (file?.reply_to as Partial<FolderReplyTo> | null | undefined)?.consumedPath;
        return file && consumedPath ? { fileId: file.id, consumedPath } : undefined;
      },
    });
    dropFolder.start();
    closers.push(() => dropFolder.close());
    const channels = await startChannels({ env, db, inbox, customers: customerChannels, logger });
    closers.push(() => channels.close());
    app = buildGatewayApp({
      db,
      logger,
      metrics,
      opsToken: loadOpsToken(env.DATA_DIR, env.OPS_TOKEN),
      inbox,
      customers: () => listCustomers(mappingsDir),
      replay: (fileId, options) => replayFile({ db, inbox, mapper }, fileId, options),
      regress: (customer, last) => regressMapping({ db, inbox, mapper }, customer, last),
      httpIntake: { httpCustomers, resultsDir: paths.resultsDir, maxFileBytes: Math.min(env.HTTP_MAX_FILE_BYTES, env.MAX_FILE_BYTES), maxRecordsBytes: env.HTTP_MAX_RECORDS_BYTES },
      readiness: () =>
        checkReadiness(
          {
            store: async () => void (await db.query('SELECT 1')),
            redis: async () => {
              const reply = await readRedis(queues, () => queues.connection.ping());
              if (reply !== 'PONG') return { ok: false, detail: `PING answered ${reply}` };
            },
            engine: async () => {
              const response = await fetch(`${engine.baseUrl}/healthz`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
              if (!response.ok) return { ok: false, detail: `HTTP ${response.status}` };
            },
          },
          PROBE_TIMEOUT_MS,
        ),
    });
    const address = await app.listen({ host: env.HOST, port: env.GATEWAY_PORT });
    url = address.replace('0.0.0.0', '127.0.0.1');
    closers.push(() => app!.close());
    logger.info({ url, dropDir: paths.dropDir, customers }, 'gateway listening; drop folders watched');
  }
  return {
    url,
    app,
    inbox,
    queues,
    async close() {
      for (const close of [...closers].reverse()) await close();
    },
  };
}
