import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from '../log/logger.ts';
import { throttledLog } from '../log/throttled-log.ts';
import type { Queryable } from '../store/db.ts';

/** Prometheus scrapes every few seconds: during an outage one line per this long says the counts are missing. */
const STORE_ERROR_LOG_INTERVAL_MS = 60_000;

/**
 * Prometheus metrics: counts read from the ledger and the queues at scrape time (so several processes agree),
 * and latencies observed by the stages of this process.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly stageSeconds: Histogram<'stage' | 'outcome'>;

  constructor(sources: { db: Queryable; queueDepths(): Promise<Record<string, number>>; logger?: Logger }) {
    const { logger } = sources;
    const logStoreError = throttledLog(logger ? (fields, message) => logger.warn(fields, message) : () => undefined, STORE_ERROR_LOG_INTERVAL_MS);
    // The store away (a PostgreSQL outage): these gauges have no samples (unknown, not zero). A failed collect
    // failed the whole scrape, so Prometheus lost every series, the process's own included, for the whole outage.
    const countByState = async (table: string): Promise<{ state: string; n: number }[]> => {
      try {
        return (await sources.db.query<{ state: string; n: number }>(`SELECT state, count(*)::int AS n FROM ${table} GROUP BY state`)).rows;
      } catch (error) {
        logStoreError({ err: error, table }, 'metrics: the store did not answer; ledger counts left out of this scrape');
        return [];
      }
    };
    collectDefaultMetrics({ register: this.registry, prefix: 'intake_' });
    this.stageSeconds = new Histogram({
      name: 'intake_stage_duration_seconds',
      help: 'Time one job took in a pipeline stage',
      labelNames: ['stage', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [this.registry],
    });
    new Gauge({
      name: 'intake_files',
      help: 'Files in the ledger by state',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const row of await countByState('gateway.files')) this.set({ state: row.state }, row.n);
      },
    });
    new Gauge({
      name: 'intake_documents',
      help: 'Documents in the ledger by state (ACCEPTED, REJECTED, FAILED, INVALID, ...)',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const row of await countByState('gateway.documents')) this.set({ state: row.state }, row.n);
      },
    });
    new Gauge({
      name: 'intake_queue_depth',
      help: 'Jobs waiting, delayed or running per pipeline stage',
      labelNames: ['stage'],
      registers: [this.registry],
      async collect() {
        this.reset();
        // Redis away: no samples (unknown, not zero), while the ledger's counts still answer; /readyz says why.
        const depths = await sources.queueDepths().catch(() => ({}));
        for (const [stage, depth] of Object.entries(depths)) this.set({ stage }, depth);
      },
    });
  }

  /** Times `work` into the stage histogram, labelled ok or error. */
  async time<T>(stage: string, work: () => Promise<T>): Promise<T> {
    const end = this.stageSeconds.startTimer({ stage });
    try {
      const result = await work();
      end({ outcome: 'ok' });
      return result;
    } catch (error) {
      end({ outcome: 'error' });
      throw error;
    }
  }
}
