import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyDocument, type ApplyOutcome } from '../../../src/engine/apply-document.ts';
import { validateDocument } from '../../../src/engine/documents/validate-document.ts';
import { openDb, type Db } from '../../../src/store/db.ts';
import { STORE_KINDS, type TestDatabase } from '../../support/stores.ts';
import { createEngineTestDb } from './engine-test-store.ts';

const PARALLEL = 20;
const append = (n: number) =>
  validateDocument({
    orderNumber: 'RACE-ORDER',
    business: 'kargo',
    facility: 'sf',
    direction: 'OUTBOUND',
    shipmentNumber: 'RACE-SHIPMENT',
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

  it(`${PARALLEL} parallel APPENDs for one new order all succeed: one shipment, one order, ${PARALLEL} items`, async () => {
    const dbs = [t.db, second ?? t.db];
    const outcomes: ApplyOutcome[] = await Promise.all(Array.from({ length: PARALLEL }, (_, n) => applyDocument(dbs[n % 2]!, append(n))));
    expect(outcomes.every((o) => o.status === 201)).toBe(true);
    const creators = outcomes.filter((o) => o.body.created.some((c) => c.type === 'SHIPMENT'));
    expect(creators).toHaveLength(1);
    expect(creators[0]!.body.created.map((c) => c.type)).toEqual(['SHIPMENT', 'ORDER', 'ORDER_ITEM']);
    const counts = await t.db.query<{ shipments: number; orders: number; items: number }>(
      `SELECT (SELECT count(*)::int FROM engine.shipments) AS shipments, (SELECT count(*)::int FROM engine.orders) AS orders,
              (SELECT count(*)::int FROM engine.order_items) AS items`,
    );
    expect(counts.rows[0]).toEqual({ shipments: 1, orders: 1, items: PARALLEL });
    // Documents were serialised on the order: the last one to apply saw every item.
    expect(Math.max(...outcomes.map((o) => o.body.shipment.orders[0]!.items.length))).toBe(PARALLEL);
  });
});
