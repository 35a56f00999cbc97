import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ZodType } from 'zod';
import type { Logger } from '../log/logger.ts';
import { DeliverJobSchema, FinalizeJobSchema, ParseJobSchema, SubmitJobSchema } from './jobs.ts';
import { REDIS_ERROR_LOG_INTERVAL_MS, redisConnection, type Stage } from './queues.ts';
import { throttledLog } from '../log/throttled-log.ts';
import { withinDeadline } from '../runtime/within-deadline.ts';

/** How long `close` waits for a worker to stop by itself; below the 15 s a signal gives the whole process. */
const CLOSE_GRACE_MS = 8000;

/** The work each stage does with one job's (validated) data. `defer(ms)` puts the job back for later. */
export interface StageHandlers {
  parse(job: { fileId: string }, progress: (done: number) => Promise<void>, defer: (ms: number) => Promise<never>): Promise<void>;
  submit(job: { fileId: string; idx: number }, defer: (ms: number) => Promise<never>): Promise<void>;
  finalize(job: { fileId: string }): Promise<void>;
  /** `lastAttempt`: no retry follows a failure of this run (the delivery is then FAILED, not RETRYING). */
  deliver(job: { fileId: string; channel: string; lastAttempt: boolean }): Promise<void>;
  /** A parse job whose attempts ran out (the database was gone, not the file at fault): the file ends FAILED. */
  parseGaveUp(job: { fileId: string }, error: Error): Promise<void>;
}

export interface WorkerSettings {
  redisUrl: string;
  prefix: string;
  /** A worker's hold on a job (renewed while it runs); a dead worker's jobs are taken over once it runs out. */
  lockMs: number;
  /** Jobs each stage runs at once in this process. Submits wait on the engine, so they get the most. */
  concurrency: Record<Stage, number>;
  logger: Logger;
}

const SCHEMAS: Record<Stage, ZodType> = { parse: ParseJobSchema, submit: SubmitJobSchema, finalize: FinalizeJobSchema, deliver: DeliverJobSchema };

/**
 * Runs the pipeline's stages as BullMQ workers. Any number of processes may run them against one Redis and one
 * PostgreSQL: each job's effect is guarded by the ledger's state, so a job run twice (after a crash, a stall)
 * changes nothing the second time.
 */
export class PipelineWorkers {
  private readonly workers: Worker[] = [];
  private readonly connections: Redis[] = [];
  private readonly failures: JobFailureLog;

  constructor(
    private readonly handlers: StageHandlers,
    private readonly settings: WorkerSettings,
  ) {
    this.failures = new JobFailureLog(settings.logger, JOB_FAILURE_LOG_INTERVAL_MS);
  }

  start(stages: readonly Stage[] = ['parse', 'submit', 'finalize', 'deliver']): void {
    for (const stage of stages) {
      // Ours to close: BullMQ quits only the connections it creates, not one it is given.
      const connection = redisConnection(this.settings.redisUrl);
      this.connections.push(connection);
      const worker = new Worker(stage, (job, token) => this.run(stage, job, token), {
        connection,
        prefix: this.settings.prefix,
        concurrency: this.settings.concurrency[stage],
        // A worker SIGKILLed mid-job leaves the job stalled; it is run again, many times if need be.
        maxStalledCount: 1000,
        stalledInterval: Math.min(5000, this.settings.lockMs),
        lockDuration: this.settings.lockMs,
      });
      worker.on('failed', (job, error) => {
        if (!job) return;
        const fileId = (job.data as { fileId?: unknown } | undefined)?.fileId;
        this.failures.failed({ stage, jobId: job.id, fileId: typeof fileId === 'string' ? fileId : undefined, attemptsMade: job.attemptsMade }, error);
        if (stage === 'parse' && job.attemptsMade >= (job.opts.attempts ?? 1)) {
          this.handlers.parseGaveUp(job.data as { fileId: string }, error).catch((e) => this.settings.logger.error({ err: e }, 'could not mark the file FAILED'));
        }
      });
      // A Redis outage makes every worker fail a reconnect every few hundred ms: logged once per interval each.
      const logError = throttledLog((fields, message) => this.settings.logger.error(fields, message), REDIS_ERROR_LOG_INTERVAL_MS);
      worker.on('error', (error) => logError({ stage, err: error }, 'worker error'));
      this.workers.push(worker);
    }
  }

  private async run(stage: Stage, job: Job, token: string | undefined): Promise<void> {
    const data = SCHEMAS[stage].parse(job.data);
    const defer = async (ms: number): Promise<never> => {
      await job.moveToDelayed(Date.now() + ms, token);
      throw new DelayedError();
    };
    switch (stage) {
      case 'parse':
        return this.handlers.parse(data as { fileId: string }, (done) => job.updateProgress({ documents: done }), defer);
      case 'submit':
        return this.handlers.submit(data as { fileId: string; idx: number }, defer);
      case 'finalize':
        return this.handlers.finalize(data as { fileId: string });
      case 'deliver':
        // BullMQ retries while attemptsMade + 1 < attempts (Job.shouldRetryJob).
        return this.handlers.deliver({ ...(data as { fileId: string; channel: string }), lastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1) });
    }
  }

  /**
   * Stops taking jobs and waits for the ones running (graceful shutdown), for at most `CLOSE_GRACE_MS`. BullMQ's
   * close can wait for ever once Redis went away and came back while a worker was blocked on it (bullmq #2430,
   * #4656: it waits for a blocking command resent after the reconnect): a shutdown must end, so past the grace its
   * connections are dropped. A job still running then is retried by BullMQ's stalled-job check after the restart,
   * under the same idempotency key.
   */
  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(async (worker) => {
        const closed = await withinDeadline(worker.close(), CLOSE_GRACE_MS).then(
          () => true,
          () => false,
        );
        if (closed) return;
        this.settings.logger.warn({ queue: worker.name, graceMs: CLOSE_GRACE_MS }, 'queue worker did not stop in time: its Redis connections are dropped');
        // Not awaited: the disconnect can wait on the same stuck command.
        void worker.disconnect().catch(() => undefined);
      }),
    );
    // An open connection keeps the process alive after everything else has stopped.
    for (const connection of this.connections.splice(0)) connection.disconnect();
    this.failures.flush();
  }
}

/** How long repeats of one failure (same stage, same error message) are gathered into one line. */
const JOB_FAILURE_LOG_INTERVAL_MS = 10_000;

interface FailedJob {
  stage: Stage;
  jobId: string | undefined;
  /** As its own field: an operator following one file's story filters the log by it. */
  fileId: string | undefined;
  attemptsMade: number;
}

/**
 * 'job failed' lines, gathered while an outage fails every job the same way (a 30 s PostgreSQL outage wrote 4149
 * lines, each with its stack): the first failure of a stage with a given message is logged at once, with its
 * stack; its repeats within the interval make one line at the interval's end, with their count and the ids of
 * every file they failed, so a search for a file id still finds each file whose job failed.
 */
class JobFailureLog {
  private readonly open = new Map<string, { stage: Stage; message: string; repeats: number; fileIds: Set<string>; timer: NodeJS.Timeout }>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  failed(job: FailedJob, error: Error): void {
    const key = `${job.stage}\u0000${error.message}`;
    const window = this.open.get(key);
    if (window) {
      window.repeats++;
      if (job.fileId !== undefined) window.fileIds.add(job.fileId);
      return;
    }
    this.logger.error({ stage: job.stage, jobId: job.jobId, fileId: job.fileId, attemptsMade: job.attemptsMade, err: error }, 'job failed');
    const timer = setTimeout(() => this.close(key), this.intervalMs);
    timer.unref();
    this.open.set(key, { stage: job.stage, message: error.message, repeats: 0, fileIds: new Set(), timer });
  }

  /** Writes the repeats gathered so far (at shutdown: none is lost). */
  flush(): void {
    for (const key of [...this.open.keys()]) this.close(key);
  }

  private close(key: string): void {
    const window = this.open.get(key);
    if (!window) return;
    this.open.delete(key);
    clearTimeout(window.timer);
    if (window.repeats === 0) return;
    this.logger.error(
      { stage: window.stage, error: window.message, repeats: window.repeats, fileIds: [...window.fileIds], intervalMs: this.intervalMs },
      'job failed again, same error',
    );
  }
}
