import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPEND_MAPPING, appendFile, CUSTOMER_YAML, PipelineCluster, tally, waitFor } from '../support/pipeline-processes.ts';

/**
 * Fault 1b: a worker process SIGKILLed between two steps of one job, at the two places where a finished step
 * must free the next one: (P) the parse job, after the file went SUBMITTING and before its first documents
 * were queued; (S) a submit job, after the document's outcome was recorded and before the order's next
 * document was freed. The moment is made certain with a gate of the test's own: a trigger on the ledger's
 * WAITING → QUEUED update that waits on an advisory lock the test holds. The worker is killed while blocked
 * there, its blocked statement terminated (as the server does with a dead client's), the gate opened, and
 * another worker started: the killed jobs run again (after BullMQ's 30 s lock) and must carry on.
 */
const GATE_KEY = 7_700_001;
const GATE_SQL = `
CREATE FUNCTION public.fault_gate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.order_number LIKE 'GP-%' OR (NEW.order_number LIKE 'GS-%' AND NEW.idx >= 10) THEN
    PERFORM pg_advisory_xact_lock_shared(${GATE_KEY});
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER fault_gate BEFORE UPDATE ON gateway.documents FOR EACH ROW
  WHEN (OLD.state = 'WAITING' AND NEW.state = 'QUEUED') EXECUTE FUNCTION public.fault_gate();
`;

describe('fault: a worker process SIGKILLed between recording a step and freeing the next one', () => {
  let cluster: PipelineCluster;
  let gate: pg.Client;
  beforeAll(async () => {
    cluster = await PipelineCluster.create({
      customers: {
        parser: { customer: CUSTOMER_YAML, mappings: { 'orders.yaml': APPEND_MAPPING } },
        submitter: { customer: CUSTOMER_YAML, mappings: { 'orders.yaml': APPEND_MAPPING } },
      },
      // The gate holds five of the worker's ledger connections blocked on purpose (the parse and four submits):
      // its pool must have room for more, or the fourth submit cannot record its outcome.
      workerEnv: { SUBMIT_CONCURRENCY: '4', DATABASE_POOL_SIZE: '10' },
    });
    await cluster.startEngine();
    await cluster.db.exec(GATE_SQL);
    gate = new pg.Client({ connectionString: cluster.databaseUrl });
    await gate.connect();
    await gate.query('SELECT pg_advisory_lock($1)', [GATE_KEY]);
  }, 90_000);
  afterAll(async () => {
    await gate?.end().catch(() => undefined);
    await cluster?.close();
  }, 60_000);

  const blockedBackends = async () =>
    (
      await cluster.db.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory' AND pid <> pg_backend_pid()`,
      )
    ).rows.map((r) => r.pid);

  it('carries on after the re-run: every file final, none lost, none twice', async () => {
    const worker = await cluster.startWorker();
    // 10 orders of 2 documents: documents 0-9 are the heads, 10-19 wait for them.
    const parseFile = appendFile('GP', 20, { perOrder: 2 });
    const submitFile = appendFile('GS', 20, { perOrder: 2 });
    const p = await cluster.receive('parser', 'gp.csv', parseFile.csv);
    const s = await cluster.receive('submitter', 'gs.csv', submitFile.csv);

    await waitFor(
      'the parse and the submits blocked at the gate',
      async () => {
        const parsed = (await cluster.file(p.fileId)).state === 'SUBMITTING';
        const accepted = (await cluster.documentStates([s.fileId])).ACCEPTED ?? 0;
        return parsed && accepted >= 4 && (await blockedBackends()).length >= 5 ? true : undefined;
      },
      30_000,
      50,
    );
    await worker.kill();
    // The server would notice the dead client's connection on its next write; make it now.
    for (const pid of await blockedBackends()) await cluster.db.query('SELECT pg_terminate_backend($1)', [pid]);
    await gate.query('SELECT pg_advisory_unlock($1)', [GATE_KEY]);
    await cluster.db.exec('DROP TRIGGER fault_gate ON gateway.documents; DROP FUNCTION public.fault_gate()');

    await cluster.startWorker();
    const results = await cluster.waitForFinal([p.fileId, s.fileId], 70_000);
    const counts = [await tally(cluster, 'GP', parseFile.expected, [results[0]!]), await tally(cluster, 'GS', submitFile.expected, [results[1]!])];
    console.log(`killed between steps: parse ${JSON.stringify(counts[0])}, submit ${JSON.stringify(counts[1])}`);
    expect(results.map((r) => r.state)).toEqual(['COMPLETED', 'COMPLETED']);
    expect(counts).toEqual([
      { expectedItems: 40, lost: 0, extra: 0, appliedTwice: 0 },
      { expectedItems: 40, lost: 0, extra: 0, appliedTwice: 0 },
    ]);
  }, 120_000);
});
