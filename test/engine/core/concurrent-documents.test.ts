import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyDocument, type ApplyOutcome } from '../../../src/engine/apply-document.ts';
import { validateDocument } from '../../../src/engine/documents/validate-document.ts';
import { ExpectedTargets } from '../../../src/engine/expected-targets.ts';
import { openDb, type Db } from '../../../src/store/db.ts';
import { STORE_KINDS, type TestDatabase } from '../../support/stores.ts';
import { createEngineTestDb } from './engine-test-store.ts';

const PARALLEL = 20;

/** `db`, counting the deadlocks PostgreSQL reported to it (each one found after deadlock_timeout, then retried). */
function countingDeadlocks(db: Db): { db: Db; deadlocks: () => number } {
  let deadlocks = 0;
  const counted = async <T,>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      if ((error as { code?: string }).code === '40P01') deadlocks++;
      throw error;
    }
  };
  const wrapped: Db = {
    ...db,
    query: (sql, params) => counted(() => db.query(sql, params)),
    transaction: (fn) =>
      db.transaction((tx) =>
        fn({ query: (sql, params) => counted(() => tx.query(sql, params)), queryAndCommit: (sql, params) => counted(() => tx.queryAndCommit(sql, params)) }),
      ),
  };
  return { db: wrapped, deadlocks: () => deadlocks };
}

const append = (n: number, order: string) =>
  validateDocument({
    orderNumber: order,
    business: 'kargo',
    facility: 'sf',
    direction: 'OUTBOUND',
    shipmentNumber: `${order}-SHIPMENT`,
    orderItemUpdateStrategy: 'APPEND',
    items: [{ lpn: `LPN${n}`, sku: 'SKU', quantity: 1, quantityUnit: 'CASE' }],
  });

describe.each(STORE_KINDS)('concurrent documents on %s', (kind) => {
  let t: TestDatabase;
  /** On PostgreSQL, a second pool stands for a second engine process sharing the database. */
  let second: Db | undefined;
  beforeAll(async () => {
    t = await createEngineTestDb(kind);
    if (t.url) second = await openDb({ kind: 'postgres', url: t.url, poolSize: 10 });
  });
  afterAll(async () => {
    await second?.close();
    await t?.drop();
  });

  // Expecting: each "process" knows the tenancy, so every document is planned against "nothing yet" and all but
  // one find the order created under them, read it, plan again, and may find it changed again (then they apply
  // in one transaction that holds the locks from the read to the write).
  it.each([
    { order: 'RACE-READING-FIRST', expecting: false },
    { order: 'RACE-EXPECTING', expecting: true },
  ])(`${PARALLEL} parallel APPENDs for one new order all succeed: one shipment, one order, ${PARALLEL} items ($order)`, async ({ order, expecting }) => {
    const processes = [t.db, second ?? t.db].map((db) => ({ db, expected: expecting ? new ExpectedTargets(1000) : undefined }));
    for (const [index, { db, expected }] of processes.entries()) {
      if (expected) await applyDocument(db, append(0, `${order}-WARM-UP-${index}`), { expected });
    }
    const outcomes: ApplyOutcome[] = await Promise.all(
      Array.from({ length: PARALLEL }, (_, n) => {
        const { db, expected } = processes[n % 2]!;
        return applyDocument(db, append(n, order), expected ? { expected } : {});
      }),
    );
    expect(outcomes.every((o) => o.status === 201)).toBe(true);
    const creators = outcomes.filter((o) => o.body.created.some((c) => c.type === 'SHIPMENT'));
    expect(creators).toHaveLength(1);
    expect(creators[0]!.body.created.map((c) => c.type)).toEqual(['SHIPMENT', 'ORDER', 'ORDER_ITEM']);
    const counts = await t.db.query<{ shipments: number; orders: number; items: number }>(
      `SELECT (SELECT count(*)::int FROM engine.shipments WHERE shipment_number = $1) AS shipments,
              (SELECT count(*)::int FROM engine.orders WHERE order_number = $2) AS orders,
              (SELECT count(*)::int FROM engine.order_items i JOIN engine.orders o ON o.id = i.order_id WHERE o.order_number = $2) AS items`,
      [`${order}-SHIPMENT`, order],
    );
    expect(counts.rows[0]).toEqual({ shipments: 1, orders: 1, items: PARALLEL });
    // Documents were serialised on the order: the last one to apply saw every item.
    expect(Math.max(...outcomes.map((o) => o.body.shipment.orders[0]!.items.length))).toBe(PARALLEL);
  });

  it('documents moving orders off a shipment, onto it and across, while others write to it, never deadlock', async () => {
    const processes = [t.db, second ?? t.db].map((db) => ({ ...countingDeadlocks(db), expected: new ExpectedTargets(1000) }));
    const document = (orderNumber: string, shipmentNumber: string, lpn: string) =>
      validateDocument({ orderNumber, business: 'kargo', facility: 'sf', direction: 'OUTBOUND', shipmentNumber, orderItemUpdateStrategy: 'MERGE', items: [{ lpn, sku: 'SKU', quantity: 1 }] });
    const rounds = 12;
    for (let round = 0; round < rounds; round++) {
      for (const [order, shipment] of [['X', 'A'], ['Y', 'B'], ['Z', 'A']]) {
        await applyDocument(t.db, document(`MOVE-${round}-${order}`, `MOVE-${round}-${shipment}`, 'FIRST'));
      }
    }
    // Per round, at once: X moves from A to B and Y from B to A (each document locks both shipments), Z stays on A.
    const moves = Array.from({ length: rounds }, (_, round) => [
      document(`MOVE-${round}-X`, `MOVE-${round}-B`, 'MOVED'),
      document(`MOVE-${round}-Y`, `MOVE-${round}-A`, 'MOVED'),
      document(`MOVE-${round}-Z`, `MOVE-${round}-A`, 'STAYED'),
    ]).flat();
    const outcomes = await Promise.allSettled(moves.map((doc, n) => applyDocument(processes[n % 2]!.db, doc, { expected: processes[n % 2]!.expected })));
    expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
    expect(processes.map((p) => p.deadlocks())).toEqual([0, 0]);
    const placed = await t.db.query<{ order_number: string; shipment_number: string }>(
      `SELECT o.order_number, s.shipment_number FROM engine.orders o JOIN engine.shipments s ON s.id = o.shipment_id WHERE o.order_number LIKE 'MOVE-0-%' ORDER BY 1`,
    );
    expect(placed.rows.map((row) => [row.order_number, row.shipment_number])).toEqual([
      ['MOVE-0-X', 'MOVE-0-B'],
      ['MOVE-0-Y', 'MOVE-0-A'],
      ['MOVE-0-Z', 'MOVE-0-A'],
    ]);
  });

  it.runIf(kind === 'postgres')('a shipment that arrives while a document waits for its lock is seen arrived: its order stays on it', async () => {
    const document = (shipmentNumber: string, lpn: string) =>
      validateDocument({ orderNumber: 'LATE-X', business: 'kargo', facility: 'sf', direction: 'OUTBOUND', shipmentNumber, orderItemUpdateStrategy: 'APPEND', items: [{ lpn, sku: 'SKU', quantity: 1, quantityUnit: 'CASE' }] });
    const first = await applyDocument(t.db, document('LATE-S', 'A'));
    let arrive!: () => void;
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const arrival = t.db.transaction(async (tx) => {
      await tx.query('UPDATE engine.shipments SET arrived_at = now(), version = gen_random_uuid() WHERE id = $1', [first.body.shipment.id]);
      locked();
      await new Promise<void>((resolve) => (arrive = resolve));
    });
    await isLocked;
    const moving = applyDocument(second!, document('LATE-T', 'B'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    arrive();
    await arrival;
    const outcome = await moving;
    expect(outcome.body.created.map((entity) => entity.type)).toEqual(['SHIPMENT', 'ORDER', 'ORDER_ITEM']);
    const old = await t.db.query<{ items: string[] }>(
      `SELECT array_agg(i.lpn) AS items FROM engine.orders o JOIN engine.order_items i ON i.order_id = o.id WHERE o.shipment_id = $1`,
      [first.body.shipment.id],
    );
    expect(old.rows[0]!.items).toEqual(['A']);
  });
});

