import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyDocument, type ApplyOutcome } from '../../../src/engine/apply-document.ts';
import { validateDocument } from '../../../src/engine/documents/validate-document.ts';
import { ExpectedTargets } from '../../../src/engine/expected-targets.ts';
import { openDb, type Db } from '../../../src/store/db.ts';
import { STORE_KINDS, type TestDatabase } from '../../support/stores.ts';
import { createEngineTestDb } from './engine-test-store.ts';

const PARALLEL = 20;
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
});
