import { Queue, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from '../log/logger.ts';
import { throttledLog } from '../log/throttled-log.ts';
import { jobIds, type DeliverJob, type FinalizeJob, type ParseJob, type SubmitJob } from './jobs.ts';

export const STAGES = ['parse', 'submit', 'finalize', 'deliver'] as const;
export type Stage = (typeof STAGES)[number];

export interface QueueSettings {
  redisUrl: string;
  /**
   * Key prefix of every queue. The default is wrapped in braces, a Redis Cluster hash tag, so all of one
   * queue's keys land on one slot (BullMQ's Lua scripts touch several keys at once).
   */
  prefix: string;
  /** Where connection errors go while Redis is away (throttled); without one they are dropped. */
  logger?: Logger;
}

/** While Redis is away its client fails a reconnect every few hundred ms: one log line per this long is enough. */
export const REDIS_ERROR_LOG_INTERVAL_MS = 30_000;

/**
 * Completed jobs are kept for a day so a re-enqueue with the same id stays a no-op (BullMQ only dedupes ids it
 * still has); failed ones a week, for the operator.
 */
const KEEP: JobsOptions = { removeOnComplete: { age: 24 * 3600, count: 100_000 }, removeOnFail: { age: 7 * 24 * 3600 } };

/**
 * Engine answers are retried by the submit stage itself (it honours Retry-After); these retries are for our own
 * infrastructure failing under a job (a database restart): without them the job fails at once and its document
 * would wait for the next start-up's recovery.
 */
const INFRA_RETRIES: JobsOptions = { attempts: 20, backoff: { type: 'exponential', delay: 500 } };

/**
 * A document's place in the submit queue: the further into its file, the later (1 for a file's first document,
 * 2 for the next two, 3 for the next four, … 15 at the 20,000th). One queue serves every customer, so without it a
 * file of 20,000 documents held every file that came after it until its last document was in (13 minutes for a
 * three-line upload, measured); now a small file's documents pass a large file's remaining ones, and two large
 * files advance side by side. Within a priority BullMQ keeps FIFO; the order of one order's documents is kept by
 * the ledger (a document is queued only once the one before it is done), never by the queue.
 */
export function submitPriority(job: SubmitJob): number {
  return 1 + Math.floor(Math.log2(job.idx + 1));
}

export function redisConnection(url: string): Redis {
  // BullMQ requires maxRetriesPerRequest null: its blocking commands must wait out a reconnect, not fail.
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
}

/** The producer side of the pipeline: one BullMQ queue per stage. */
export class PipelineQueues {
  readonly connection: Redis;
  private readonly queues: Record<Stage, Queue>;

  constructor(readonly settings: QueueSettings) {
    this.connection = redisConnection(settings.redisUrl);
    // Without a listener ioredis writes every failed reconnect to stderr as a stack trace, outside the JSON log.
    const { logger } = settings;
    const logError = throttledLog(logger ? (fields, message) => logger.warn(fields, message) : () => undefined, REDIS_ERROR_LOG_INTERVAL_MS);
    const onError = (error: Error) => logError({ err: error }, 'Redis connection error (queues): reconnecting');
    this.connection.on('error', onError);
    // Each Queue passes the shared connection's errors on as its own; with no listener bullmq console.errors them,
    // a stack trace per reconnect per queue on stderr. They are the same errors: the same throttled line.
    this.queues = Object.fromEntries(
      STAGES.map((stage) => [stage, new Queue(stage, { connection: this.connection, prefix: settings.prefix, defaultJobOptions: KEEP }).on('error', onError)]),
    ) as Record<Stage, Queue>;
  }

  queue(stage: Stage): Queue {
    return this.queues[stage];
  }

  async enqueueParse(job: ParseJob): Promise<void> {
    await this.queues.parse.add('parse', job, { jobId: jobIds.parse(job), attempts: 5, backoff: { type: 'exponential', delay: 1000 } });
  }

  async enqueueSubmits(jobs: SubmitJob[]): Promise<void> {
    for (let i = 0; i < jobs.length; i += 1000) {
      await this.queues.submit.addBulk(
        jobs.slice(i, i + 1000).map((job) => ({ name: 'submit', data: job, opts: { jobId: jobIds.submit(job), priority: submitPriority(job), ...INFRA_RETRIES } })),
      );
    }
  }

  async enqueueFinalize(job: FinalizeJob): Promise<void> {
    await this.queues.finalize.add('finalize', job, { jobId: jobIds.finalize(job), ...INFRA_RETRIES });
  }

  async enqueueDeliver(job: DeliverJob): Promise<void> {
    await this.queues.deliver.add('deliver', job, { jobId: jobIds.deliver(job), attempts: 10, backoff: { type: 'exponential', delay: 2000 } });
  }

  /** Failed jobs of every stage run again (start-up recovery: their handlers are guarded by the ledger). */
  async retryFailed(): Promise<void> {
    await Promise.all(STAGES.map((stage) => this.queues[stage].retryJobs({ state: 'failed' })));
  }

  /** Waiting + delayed + active jobs per stage, for /metrics and the progress lines. */
  async depths(): Promise<Record<Stage, number>> {
    const entries = await Promise.all(
      STAGES.map(async (stage) => [stage, await this.queues[stage].getJobCountByTypes('waiting', 'delayed', 'active', 'prioritized')] as const),
    );
    return Object.fromEntries(entries) as Record<Stage, number>;
  }

  async close(): Promise<void> {
    await Promise.all(STAGES.map((stage) => this.queues[stage].close()));
    this.connection.disconnect();
  }
}
