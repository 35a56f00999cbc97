import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { applyDocument, type ApplyOutcome } from '../../../src/engine/apply-document.ts';
import { validateDocument } from '../../../src/engine/documents/validate-document.ts';
import { ExpectedTargets } from '../../../src/engine/expected-targets.ts';
import { getShipment, recordShipmentEvent } from '../../../src/engine/shipments.ts';
import type { Db, Transaction } from '../../../src/store/db.ts';
import { STORE_KINDS, type TestDatabase } from '../../support/stores.ts';
import { clearDocuments, createEngineTestDb } from './engine-test-store.ts';

const item = (lpn: string, quantity = 1) => ({ lpn, sku: 'SKU', quantity, quantityUnit: 'CASE' });
const doc = (body: Record<string, unknown> = {}) =>
  validateDocument({ orderNumber: 'O-1', business: 'kargo', facility: 'sf', direction: 'OUTBOUND', shipmentNumber: 'S-1', ...body });

/** The store, counting the statements sent to it (each one a round trip on a PostgreSQL server). */
function counting(db: Db): { db: Db; statements: () => number } {
  let statements = 0;
  const counted = <T extends { query: Db['query'] }>(target: T): T['query'] =>
    ((sql: Parameters<Db['query']>[0], params?: unknown[]) => {
      statements++;
      return target.query(sql, params);
    }) as T['query'];
  const wrapped: Db = {
    ...db,
    query: counted(db),
    transaction: (fn) =>
      db.transaction((tx) =>
        fn({
          query: counted(tx),
          queryAndCommit: (sql, params) => {
            statements++;
            return tx.queryAndCommit(sql, params);
          },
        } satisfies Transaction),
      ),
  };
  return { db: wrapped, statements: () => statements };
}

describe.each(STORE_KINDS)('documents planned against what this engine wrote last, on %s', (kind) => {
  let t: TestDatabase;
  let store: ReturnType<typeof counting>;
  let expected: ExpectedTargets;

  beforeAll(async () => {
    t = await createEngineTestDb(kind);
  });
  afterAll(async () => t?.drop());
  beforeEach(async () => {
    await clearDocuments(t);
    store = counting(t.db);
    expected = new ExpectedTargets(10_000);
    // The engine has met business kargo and facility sf before (its first document is read first).
    await applyDocument(store.db, doc({ orderNumber: 'WARM-UP', shipmentNumber: 'WARM-UP' }), { expected });
  });

  /** Applies `body`, returns the outcome and how many statements it took; the response must be the store's. */
  async function apply(body: Record<string, unknown>, by: { db: Db; expected: ExpectedTargets } = { db: store.db, expected }): Promise<[ApplyOutcome, number]> {
    const before = store.statements();
    const outcome = await applyDocument(by.db, doc(body), { expected: by.expected });
    const statements = store.statements() - before;
    expect(outcome.body.shipment).toEqual((await getShipment(t.db, outcome.body.shipment.id))?.view);
    return [outcome, statements];
  }

  it('a new order, then documents for the order this engine wrote last, take one statement each', async () => {
    const [created, first] = await apply({ items: [item('A'), item('B')] });
    expect([created.status, first]).toEqual([201, 1]);
    const [merged, second] = await apply({ orderItemUpdateStrategy: 'MERGE', items: [item('B', 5), item('C')] });
    expect([merged.status, second]).toEqual([201, 1]);
    expect(merged.body.shipment.orders[0]!.items.map((i) => [i.lpn, i.quantity])).toEqual([['A', 1], ['B', 5], ['C', 1]]);
    const [overwritten, third] = await apply({ trailerNumber: 'TR-9', consigneeName: 'Ann', items: [item('D')] });
    expect([overwritten.status, third]).toEqual([201, 1]);
    const [unchanged, fourth] = await apply({});
    expect([unchanged.status, fourth]).toEqual([200, 1]);
  });

  it('a document for an order another engine changed since is applied against the store, in two statements', async () => {
    const other = { db: t.db, expected: new ExpectedTargets(10_000) };
    await apply({ items: [item('A')] });
    await apply({ orderItemUpdateStrategy: 'APPEND', items: [item('B')] }, other);
    const [outcome, statements] = await apply({ orderItemUpdateStrategy: 'MERGE', items: [item('A', 7)] });
    expect(statements).toBe(2);
    expect(outcome.body.updated.map((e) => e.reference)).toEqual(['S-1', 'O-1', 'A']);
    expect(outcome.body.shipment.orders[0]!.items.map((i) => [i.lpn, i.quantity])).toEqual([['A', 7], ['B', 1]]);
  });

  it('an expected shipment that has arrived since is a conflict, as when read first', async () => {
    const [first] = await apply({});
    await recordShipmentEvent(t.db, first.body.shipment.id, 'ARRIVED');
    await expect(apply({})).rejects.toMatchObject({ status: 409, code: 'SHIPMENT_CONFLICT' });
  });

  it('an expected refusal is checked against the store: the dock created since is found', async () => {
    await expect(apply({ dockSlug: 'door-9' })).rejects.toMatchObject({ status: 422, code: 'UNKNOWN_DOCK' });
    await t.db.query(`INSERT INTO engine.docks (facility_id, slug) SELECT f.id, 'door-9' FROM engine.facilities f JOIN engine.businesses b ON b.id = f.business_id WHERE b.slug = 'kargo' AND f.slug = 'sf'`);
    try {
      const [outcome] = await apply({ dockSlug: 'door-9' });
      expect(outcome.body.shipment.dockSlug).toBe('door-9');
    } finally {
      await t.db.query('UPDATE engine.shipments SET dock_id = NULL');
      await t.db.query(`DELETE FROM engine.docks WHERE slug = 'door-9'`);
    }
  });

  it('after the store lost the shipment (emptied, restored), documents create it anew rather than write to ids that are gone', async () => {
    await apply({ items: [item('A')] });
    await clearDocuments(t);
    const [outcome] = await apply({ orderItemUpdateStrategy: 'MERGE', items: [item('A', 3)] });
    expect(outcome.body.created.map((e) => e.type)).toEqual(['SHIPMENT', 'ORDER', 'ORDER_ITEM']);
  });

  it('an order moved to another shipment leaves the old shipment changed: its next document sees it without the order', async () => {
    const [first] = await apply({ items: [item('A')] });
    await apply({ shipmentNumber: 'S-2' });
    const [outcome, statements] = await apply({ orderNumber: 'O-2', items: [item('B')] });
    expect(statements).toBe(2);
    expect(outcome.body.shipment.id).toBe(first.body.shipment.id);
    expect(outcome.body.shipment.orders.map((o) => o.orderNumber)).toEqual(['O-2']);
  });

  it('a target that changes after each read is applied in one transaction that holds the locks from the read to the write', async () => {
    await apply({ items: [item('A')] });
    // Another engine process adds an item each time this one reads the target, twice: both of its statements miss.
    let interruptions = 0;
    const racing: Db = {
      ...store.db,
      query: async <T,>(sql: Parameters<Db['query']>[0], params?: unknown[]) => {
        const result = await store.db.query<T>(sql, params);
        const answer = (result.rows[0] as { applied?: { target?: unknown } } | undefined)?.applied;
        if (answer?.target && interruptions < 2) {
          interruptions++;
          await applyDocument(t.db, doc({ orderItemUpdateStrategy: 'APPEND', items: [item(`OTHER-${interruptions}`)] }));
        }
        return result;
      },
    };
    await applyDocument(t.db, doc({ orderItemUpdateStrategy: 'APPEND', items: [item('B')] }));
    const [outcome, statements] = await apply({ orderItemUpdateStrategy: 'MERGE', items: [item('A', 9)] }, { db: racing, expected });
    // Two optimistic statements, then the transaction's read (with BEGIN) and write (with COMMIT).
    expect([interruptions, statements]).toEqual([2, 4]);
    expect(outcome.body.shipment.orders[0]!.items.map((i) => [i.lpn, i.quantity])).toEqual([
      ['A', 9],
      ['B', 1],
      ['OTHER-1', 1],
      ['OTHER-2', 1],
    ]);
  });

  it('a refused document leaves the expectation it was planned against out of the next one', async () => {
    await apply({ items: [item('A')] });
    await expect(apply({ orderItemUpdateStrategy: 'APPEND', items: [item('A')] })).rejects.toMatchObject({ status: 409, code: 'DUPLICATE_ORDER_ITEM_KEY' });
    const [, statements] = await apply({ orderItemUpdateStrategy: 'APPEND', items: [item('B')] });
    expect(statements).toBe(2);
  });
});

describe('ExpectedTargets', () => {
  const shipment = (id: number, items: number) => ({
    id,
    version: `v${id}`,
    shipmentNumber: `S-${id}`,
    business: 'kargo',
    facility: 'sf',
    scheduledAt: '2026-01-01T00:00:00.000Z',
    expectedArrivalAt: '2026-01-01T00:00:00.000Z',
    arrivedAt: null,
    departedAt: null,
    trailerNumber: '',
    carrier: '',
    dockId: '',
    dockSlug: '',
    additionalFields: {},
    orders: [{ id: `${id}`, items: Array.from({ length: items }, () => ({})) }] as never,
  });
  const target = { businessId: 1, facilityId: 2, dockId: null, shipment: null, blockedShipment: null, order: null };
  const docFor = (id: number) => doc({ orderNumber: `O-${id}`, shipmentNumber: `S-${id}` });

  it('expects nothing of a business, facility or dock it has not met', () => {
    expect(new ExpectedTargets(100).expect(doc())).toBeNull();
  });

  it('expects a new shipment and order where it has met the tenancy but not them', () => {
    const targets = new ExpectedTargets(100);
    targets.remember(docFor(1), target, shipment(1, 0), '1');
    expect(targets.expect(docFor(2))).toEqual(target);
  });

  it('expects the shipment it wrote last, with the order on it', () => {
    const targets = new ExpectedTargets(100);
    targets.remember(docFor(1), target, shipment(1, 3), '1');
    expect(targets.expect(docFor(1))).toMatchObject({ shipment: { id: 1, version: 'v1' }, order: { id: '1', shipmentId: 1, shipmentVersion: 'v1', view: null } });
  });

  it('cannot tell when the order was last written on another shipment than the document names', () => {
    const targets = new ExpectedTargets(100);
    targets.remember(docFor(1), target, shipment(1, 0), '1');
    expect(targets.expect(doc({ orderNumber: 'O-1', shipmentNumber: 'S-OTHER' }))).toBeNull();
  });

  it('keeps shipments up to its weight (1 + orders + items each), forgetting the least recently used first', () => {
    const targets = new ExpectedTargets(25);
    targets.remember(docFor(1), target, shipment(1, 8), '1');
    targets.remember(docFor(2), target, shipment(2, 8), '2');
    targets.expect(docFor(1));
    targets.remember(docFor(3), target, shipment(3, 8), '3');
    expect(targets.expect(docFor(1))?.shipment?.id).toBe(1);
    expect(targets.expect(docFor(2))?.shipment ?? null).toBeNull();
    expect(targets.expect(docFor(3))?.shipment?.id).toBe(3);
  });
});
