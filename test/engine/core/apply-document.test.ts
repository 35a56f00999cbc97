import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { applyDocument, applyDocumentInTx, type ApplyOptions, type ApplyOutcome } from '../../../src/engine/apply-document.ts';
import { DocumentResponseSchema } from '../../../src/documents/response.ts';
import { validateDocument } from '../../../src/engine/documents/validate-document.ts';
import { ExpectedTargets } from '../../../src/engine/expected-targets.ts';
import { getShipment } from '../../../src/engine/shipments.ts';
import { STORE_KINDS, type TestDatabase } from '../../support/stores.ts';
import { clearDocuments, createEngineTestDb } from './engine-test-store.ts';

const base = { orderNumber: 'TEST-EXAMPLE-ORDER-001', business: 'kargo', facility: 'sf', direction: 'OUTBOUND', shipmentNumber: 'TEST-EXAMPLE-SHIPMENT-001' };
const item = (lpn: string, sku: string, quantity: number, quantityUnit = 'CASE') => ({ lpn, sku, quantity, quantityUnit });
const example1Items = [
  item('LPNABC', 'SKU123', 10),
  item('LPNABC', 'SKU456', 8),
  item('LPNDEF', 'SKU789', 12),
  item('LPNGHI', 'SKU123', 6),
  item('LPNJKL', 'SKU999', 15),
];
const refs = (entries: { type: string; reference: string }[]) => entries.map((e) => `${e.type}:${e.reference}`);

// Every rule holds both ways a document is applied: read first, then written (nothing expected), and planned
// against what this engine wrote last and written in one statement (src/engine/expected-targets.ts).
const CASES = STORE_KINDS.flatMap((kind) => [
  { kind, expecting: false, name: `${kind}, reading first` },
  { kind, expecting: true, name: `${kind}, expecting its own writes` },
]);

describe.each(CASES)('applyDocument on $name', ({ kind, expecting }) => {
  let t: TestDatabase;
  let expected: ExpectedTargets | undefined;
  beforeAll(async () => {
    t = await createEngineTestDb(kind);
  });
  afterAll(async () => t?.drop());
  beforeEach(async () => {
    await clearDocuments(t);
    expected = expecting ? new ExpectedTargets(10_000) : undefined;
  });

  /** Applies a raw body; checks the response against its schema and its shipment against a fresh read of the store. */
  async function apply(body: Record<string, unknown>, options?: ApplyOptions): Promise<ApplyOutcome> {
    const outcome = await applyDocument(t.db, validateDocument({ ...base, ...body }), { ...(expected ? { expected } : {}), ...options });
    expect(DocumentResponseSchema.strict().safeParse(outcome.body).error).toBeUndefined();
    expect(outcome.body.shipment).toEqual((await getShipment(t.db, outcome.body.shipment.id))?.view);
    return outcome;
  }

  async function failure(body: Record<string, unknown>): Promise<unknown> {
    return apply(body).then(
      () => expect.unreachable('the document should have been refused'),
      (error: unknown) => error,
    );
  }

  const count = async (table: string, where = 'true') =>
    (await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM engine.${table} WHERE ${where}`)).rows[0]!.n;

  describe('the guide\'s examples, in sequence', () => {
    it('Example 1 creates shipment, order and five items (201); repeating it replaces the items under new ids', async () => {
      const first = await apply({ items: example1Items });
      expect(first.status).toBe(201);
      expect(refs(first.body.created)).toEqual([
        'SHIPMENT:TEST-EXAMPLE-SHIPMENT-001',
        'ORDER:TEST-EXAMPLE-ORDER-001',
        'ORDER_ITEM:LPNABC',
        'ORDER_ITEM:LPNABC',
        'ORDER_ITEM:LPNDEF',
        'ORDER_ITEM:LPNGHI',
        'ORDER_ITEM:LPNJKL',
      ]);
      expect(first.body.updated).toEqual([]);
      expect(first.body.removed).toEqual([]);
      const shipment = first.body.shipment;
      expect(shipment.id).toBe(Number(first.body.created[0]!.id));
      expect(shipment.status).toBe('SCHEDULED');
      expect(shipment.orders).toHaveLength(1);
      expect(shipment.orders[0]).toMatchObject({ orderNumber: 'TEST-EXAMPLE-ORDER-001', status: 'CREATED' });
      expect(shipment.orders[0]!.items.map(({ lpn, sku, quantity, quantityUnit }) => ({ lpn, sku, quantity, quantityUnit }))).toEqual(example1Items);
      expect(shipment.orders[0]!.items.map((i) => i.id)).toEqual(first.body.created.slice(2).map((c) => c.id));

      const repeated = await apply({ items: example1Items });
      expect(repeated.status).toBe(201);
      expect(repeated.body.updated).toEqual(first.body.created.slice(0, 2));
      expect(repeated.body.removed).toEqual(first.body.created.slice(2));
      expect(refs(repeated.body.created)).toEqual(refs(first.body.created.slice(2)));
      const newIds = repeated.body.created.map((c) => c.id);
      expect(newIds.some((id) => first.body.created.some((c) => c.id === id))).toBe(false);
      expect(await count('order_items')).toBe(5);
    });

    it('Examples 2-5: APPEND, repeated APPEND 409, MERGE 200, DELETE 200, OVERWRITE 201', async () => {
      const created = await apply({ items: example1Items });
      const [shipmentRef, orderRef] = created.body.created;

      const append = await apply({ orderItemUpdateStrategy: 'APPEND', items: [item('LPNNEW', 'SKUAPPEND', 1, 'UNIT')] });
      expect(append.status).toBe(201);
      expect(refs(append.body.created)).toEqual(['ORDER_ITEM:LPNNEW']);
      expect(append.body.updated).toEqual([shipmentRef, orderRef]);
      expect(append.body.shipment.orders[0]!.items).toHaveLength(6);

      expect(await failure({ orderItemUpdateStrategy: 'APPEND', items: [item('LPNNEW', 'SKUAPPEND', 1, 'UNIT')] })).toMatchObject({
        status: 409,
        code: 'DUPLICATE_ORDER_ITEM_KEY',
        detail: 'DUPLICATE_ORDER_ITEM_KEY: lpn=LPNNEW, sku=SKUAPPEND',
      });

      const abc123 = created.body.created[2]!;
      for (let round = 0; round < 2; round++) {
        const merge = await apply({ orderItemUpdateStrategy: 'MERGE', items: [item('LPNABC', 'SKU123', 5)] });
        expect(merge.status).toBe(200);
        expect(merge.body.created).toEqual([]);
        expect(merge.body.updated).toEqual([shipmentRef, orderRef, abc123]);
        expect(merge.body.removed).toEqual([]);
        expect(merge.body.shipment.orders[0]!.items.find((i) => i.id === abc123.id)).toMatchObject({ quantity: 5, quantityUnit: 'CASE' });
      }

      const deleted = await apply({ orderItemUpdateStrategy: 'DELETE', items: [{ lpn: 'LPNABC', sku: 'SKU123' }] });
      expect(deleted.status).toBe(200);
      expect(deleted.body.removed).toEqual([abc123]);
      expect(deleted.body.updated).toEqual([shipmentRef, orderRef]);
      const again = await apply({ orderItemUpdateStrategy: 'DELETE', items: [{ lpn: 'LPNABC', sku: 'SKU123' }] });
      expect(again.status).toBe(200);
      expect(again.body.removed).toEqual([]);

      const overwrite = await apply({
        orderItemUpdateStrategy: 'OVERWRITE',
        items: [item('LPNREPLACE001', 'SKUREPLACE001', 2, 'UNIT'), item('LPNREPLACE002', 'SKUREPLACE002', 3)],
      });
      expect(overwrite.status).toBe(201);
      expect(refs(overwrite.body.created)).toEqual(['ORDER_ITEM:LPNREPLACE001', 'ORDER_ITEM:LPNREPLACE002']);
      expect(refs(overwrite.body.removed)).toEqual(['ORDER_ITEM:LPNABC', 'ORDER_ITEM:LPNDEF', 'ORDER_ITEM:LPNGHI', 'ORDER_ITEM:LPNJKL', 'ORDER_ITEM:LPNNEW']);
      const repeated = await apply({
        orderItemUpdateStrategy: 'OVERWRITE',
        items: [item('LPNREPLACE001', 'SKUREPLACE001', 2, 'UNIT'), item('LPNREPLACE002', 'SKUREPLACE002', 3)],
      });
      expect(repeated.status).toBe(201);
      expect(repeated.body.removed).toEqual(overwrite.body.created);
    });
  });

  it('without shipmentNumber the orderNumber is the shipment number and reference', async () => {
    const outcome = await apply({ shipmentNumber: undefined, items: [item('A', 'B', 1)] });
    expect(outcome.body.created[0]).toMatchObject({ type: 'SHIPMENT', reference: 'TEST-EXAMPLE-ORDER-001' });
    expect(outcome.body.shipment.shipmentNumber).toBe('TEST-EXAMPLE-ORDER-001');
  });

  it('an item\'s reference is its identifier, else its lpn', async () => {
    const outcome = await apply({ items: [{ ...item('LPN1', 'SKU1', 1), identifier: 'ID-1' }, item('LPN2', 'SKU2', 1)] });
    expect(refs(outcome.body.created.slice(2))).toEqual(['ORDER_ITEM:ID-1', 'ORDER_ITEM:LPN2']);
  });

  it('items omitted or empty leave the order\'s items unchanged (200)', async () => {
    const created = await apply({ items: example1Items });
    for (const items of [undefined, []]) {
      const outcome = await apply({ items, orderItemUpdateStrategy: 'OVERWRITE' });
      expect(outcome.status).toBe(200);
      expect(outcome.body.created).toEqual([]);
      expect(outcome.body.removed).toEqual([]);
      expect(outcome.body.shipment.orders[0]!.items).toEqual(created.body.shipment.orders[0]!.items);
    }
  });

  it('MERGE never clears stored item values with "" or 0, and keeps the item\'s position', async () => {
    await apply({ items: [{ ...item('A', '1', 7), description: 'fragile' }, item('B', '2', 3)] });
    const outcome = await apply({ orderItemUpdateStrategy: 'MERGE', items: [{ lpn: 'A', sku: '1', quantity: 0, quantityUnit: '', description: '', upc: '0042' }] });
    expect(outcome.body.shipment.orders[0]!.items.map((i) => [i.lpn, i.quantity, i.quantityUnit, i.description, i.upc])).toEqual([
      ['A', 7, 'CASE', 'fragile', '0042'],
      ['B', 3, 'CASE', '', ''],
    ]);
  });

  it('MERGE creates an unmatched item with empty defaults (201)', async () => {
    await apply({ items: [item('A', '1', 7)] });
    const outcome = await apply({ orderItemUpdateStrategy: 'MERGE', items: [{ lpn: 'C', sku: '3' }] });
    expect(outcome.status).toBe(201);
    expect(outcome.body.shipment.orders[0]!.items[1]).toMatchObject({ lpn: 'C', sku: '3', quantity: 0, quantityUnit: '', isDangerousGood: false, caseSerials: [] });
  });

  it('every item field is stored and returned', async () => {
    const full = {
      identifier: 'ID', lpn: 'L', sku: 'S', quantity: 2.5, quantityUnit: 'KG', purchaseOrder: 'PO', description: 'D', upc: 'U',
      weightPerUnit: 1.25, weightUnit: 'LB', height: 3, length: 4, dimensionUnit: 'IN', isDangerousGood: true, lot: 'LOT',
      expirationDate: '2026-01-31', manufacturingDate: '2025-01-31T10:00:00Z', caseSerials: ['c1', 'c2'],
    };
    const outcome = await apply({ items: [full] });
    const { id: _, ...stored } = outcome.body.shipment.orders[0]!.items[0]!;
    expect(stored).toEqual(full);
  });

  it('order-level fields update the matched order on any request; "" and expectedQuantity 0 never clear them', async () => {
    await apply({ orderType: 'RETAIL', consigneeName: 'Ann', expectedQuantity: 40, carrier: 'UPS' });
    const outcome = await apply({ orderType: '', consigneeName: 'Bea', expectedQuantity: 0, bolNumber: 'BOL1', carrier: '' });
    expect(outcome.status).toBe(200);
    expect(outcome.body.shipment.orders[0]).toMatchObject({ orderType: 'RETAIL', consigneeName: 'Bea', expectedQuantity: 40, bolNumber: 'BOL1', carrier: 'UPS' });
  });

  it('shipment-level fields update the shipment; "" never clears them; carrier is kept on shipment and order', async () => {
    await apply({ trailerNumber: 'TR-1', carrier: 'UPS' });
    const outcome = await apply({ trailerNumber: '', carrier: 'FedEx' });
    expect(outcome.body.shipment).toMatchObject({ trailerNumber: 'TR-1', carrier: 'FedEx' });
    expect(outcome.body.shipment.orders[0]!.carrier).toBe('FedEx');
  });

  it('driver fields and additionalFields are merged into the shipment\'s additional fields', async () => {
    await apply({ driverName: 'Dee', driverLicenseNumber: 'DL-1', additionalFields: { gate: 'B', pallets: 0 } });
    const outcome = await apply({ driverName: '', driverLicensePlate: 'PL-9', additionalFields: { gate: '', seal: 'S1', hazmat: false } });
    expect(outcome.body.shipment.additionalFields).toEqual({
      driverName: 'Dee',
      driverLicenseNumber: 'DL-1',
      driverLicensePlate: 'PL-9',
      gate: 'B',
      pallets: 0,
      seal: 'S1',
      hazmat: false,
    });
  });

  it('dockSlug resolves to a dock of the facility; an unknown one is 422 UNKNOWN_DOCK', async () => {
    const outcome = await apply({ dockSlug: 'door-2' });
    expect(outcome.body.shipment.dockSlug).toBe('door-2');
    expect(outcome.body.shipment.dockId).toMatch(/^\d+$/);
    expect((await apply({ dockSlug: '' })).body.shipment.dockSlug).toBe('door-2');
    expect(await failure({ dockSlug: 'door-9' })).toMatchObject({ status: 422, code: 'UNKNOWN_DOCK' });
    // Trimmed like the business and facility slugs.
    expect((await apply({ dockSlug: ' door-2 ' })).body.shipment.dockSlug).toBe('door-2');
    // The docks belong to kargo/sf, not kargo/la.
    expect(await failure({ facility: 'la', dockSlug: 'door-1' })).toMatchObject({ status: 422, code: 'UNKNOWN_DOCK' });
  });

  it('an unknown business or facility is 404', async () => {
    expect(await failure({ business: 'nobody' })).toMatchObject({ status: 404, code: 'BUSINESS_NOT_FOUND' });
    expect(await failure({ facility: 'nowhere' })).toMatchObject({ status: 404, code: 'FACILITY_NOT_FOUND' });
    // acme has an "sf" but no "la": facilities are looked up within the business.
    expect(await failure({ business: 'acme', facility: 'la' })).toMatchObject({ status: 404, code: 'FACILITY_NOT_FOUND' });
  });

  describe('shipment timing', () => {
    const now = new Date('2026-03-01T12:00:00.000Z');

    it('a new shipment is scheduled now and expected now when expectedArrivalAt is omitted', async () => {
      const { body } = await apply({}, { now });
      expect(body.shipment).toMatchObject({ scheduledAt: now.toISOString(), expectedArrivalAt: now.toISOString() });
      expect(body.shipment.statusEvents).toEqual([
        { status: 'SCHEDULED', completed: true, completedAt: now.toISOString() },
        { status: 'ARRIVED', completed: false, completedAt: '' },
        { status: 'DEPARTED', completed: false, completedAt: '' },
      ]);
    });

    it('expectedArrivalAt is stored in UTC; a later document without one sets it to when that document is processed (guide 14), the scheduled time stays', async () => {
      const first = await apply({ expectedArrivalAt: '2026-03-02T08:30:00-05:00' }, { now });
      expect(first.body.shipment.expectedArrivalAt).toBe('2026-03-02T13:30:00.000Z');
      const laterTime = new Date('2026-03-01T13:00:00.000Z');
      const later = await apply({}, { now: laterTime });
      expect(later.body.shipment).toMatchObject({ expectedArrivalAt: laterTime.toISOString(), scheduledAt: now.toISOString() });
      expect(later.body.updated.map((u) => u.type)).toContain('SHIPMENT');
      const blankTime = new Date('2026-03-01T14:00:00.000Z');
      const blank = await apply({ expectedArrivalAt: '' }, { now: blankTime });
      expect(blank.body.shipment.expectedArrivalAt).toBe(blankTime.toISOString());
      const moved = await apply({ expectedArrivalAt: '2026-03-03T00:00:00Z' });
      expect(moved.body.shipment.expectedArrivalAt).toBe('2026-03-03T00:00:00.000Z');
      expect((await getShipment(t.db, moved.body.shipment.id))?.view.expectedArrivalAt).toBe('2026-03-03T00:00:00.000Z');
    });
  });

  describe('finding the shipment and the order', () => {
    it('an order sent with another shipment number is remapped onto that shipment, keeping its id and items', async () => {
      const first = await apply({ items: [item('A', '1', 1)] });
      const outcome = await apply({ shipmentNumber: 'SHIP-2', orderItemUpdateStrategy: 'APPEND', items: [item('B', '2', 1)] });
      expect(refs(outcome.body.created)).toEqual(['SHIPMENT:SHIP-2', 'ORDER_ITEM:B']);
      expect(outcome.body.updated).toEqual([first.body.created[1]]);
      expect(outcome.body.shipment.orders.map((o) => [o.id, o.items.map((i) => i.lpn)])).toEqual([[first.body.created[1]!.id, ['A', 'B']]]);
      expect((await getShipment(t.db, first.body.shipment.id))?.view.orders).toEqual([]);
      expect(await count('orders')).toBe(1);
    });

    it('an order whose shipment has arrived is not eligible: a new order is created on the new shipment', async () => {
      const first = await apply({ items: [item('A', '1', 1)] });
      await t.db.query('UPDATE engine.shipments SET arrived_at = now() WHERE id = $1', [first.body.shipment.id]);
      const outcome = await apply({ shipmentNumber: 'SHIP-2', items: [item('A', '1', 1)] });
      expect(refs(outcome.body.created).slice(0, 2)).toEqual(['SHIPMENT:SHIP-2', 'ORDER:TEST-EXAMPLE-ORDER-001']);
      expect(outcome.body.created[1]!.id).not.toBe(first.body.created[1]!.id);
      expect((await getShipment(t.db, first.body.shipment.id))?.view.orders[0]?.items).toHaveLength(1);
    });

    it('an order whose shipment is linked to another shipment is not eligible: a new order is created', async () => {
      const first = await apply({});
      const other = await apply({ orderNumber: 'OTHER', shipmentNumber: 'OTHER-SHIP' });
      await t.db.query('UPDATE engine.shipments SET linked_to_shipment_id = $2 WHERE id = $1', [first.body.shipment.id, other.body.shipment.id]);
      const outcome = await apply({ shipmentNumber: 'SHIP-3' });
      expect(refs(outcome.body.created)).toEqual(['SHIPMENT:SHIP-3', 'ORDER:TEST-EXAMPLE-ORDER-001']);
      expect(await count('orders', "order_number = 'TEST-EXAMPLE-ORDER-001'")).toBe(2);
    });

    it('a shipment number whose only shipment has arrived is 409 SHIPMENT_CONFLICT', async () => {
      const first = await apply({});
      await t.db.query('UPDATE engine.shipments SET arrived_at = now() WHERE id = $1', [first.body.shipment.id]);
      expect(await failure({})).toMatchObject({
        status: 409,
        code: 'SHIPMENT_CONFLICT',
        detail: 'shipment TEST-EXAMPLE-SHIPMENT-001 has already arrived; send a new shipment number',
      });
    });

    it('among duplicate eligible orders the most recently created one is chosen', async () => {
      const first = await apply({ items: [item('A', '1', 1)] });
      const { rows } = await t.db.query<{ id: number }>(
        `INSERT INTO engine.orders (business_id, facility_id, direction, order_number, shipment_id, created_at)
         SELECT business_id, facility_id, direction, order_number, shipment_id, created_at + interval '1 second' FROM engine.orders WHERE id = $1
         RETURNING id`,
        [Number(first.body.created[1]!.id)],
      );
      const outcome = await apply({ orderItemUpdateStrategy: 'APPEND', items: [item('B', '2', 1)] });
      expect(outcome.body.updated[1]).toEqual({ type: 'ORDER', id: String(rows[0]!.id), reference: 'TEST-EXAMPLE-ORDER-001' });
      expect(outcome.body.shipment.orders.map((o) => o.items.map((i) => i.lpn))).toEqual([['A'], ['B']]);
    });

    it('the same order number in the other direction is another order', async () => {
      await apply({});
      const outcome = await apply({ direction: 'INBOUND' });
      expect(refs(outcome.body.created)).toEqual(['ORDER:TEST-EXAMPLE-ORDER-001']);
      expect(outcome.body.shipment.orders.map((o) => o.direction)).toEqual(['OUTBOUND', 'INBOUND']);
    });
  });

  describe('atomicity', () => {
    it('a document whose transaction fails after it applied leaves nothing behind', async () => {
      const failing = t.db.transaction(async (tx) => {
        await applyDocumentInTx(tx, validateDocument({ ...base, items: example1Items }));
        throw new Error('the caller failed after applying');
      });
      await expect(failing).rejects.toThrow('the caller failed after applying');
      expect([await count('shipments'), await count('orders'), await count('order_items')]).toEqual([0, 0, 0]);
    });

    it('a refused document changes nothing, not even the fields it would have set', async () => {
      await apply({ trailerNumber: 'TR-1', consigneeName: 'Ann', items: [item('LPNNEW', 'SKUAPPEND', 1)] });
      const before = await getShipment(t.db, (await t.db.query<{ id: number }>('SELECT id FROM engine.shipments')).rows[0]!.id);
      await failure({ trailerNumber: 'TR-2', consigneeName: 'Bea', orderItemUpdateStrategy: 'APPEND', items: [item('OTHER', 'X', 1), item('LPNNEW', 'SKUAPPEND', 1)] });
      await failure({ trailerNumber: 'TR-3', dockSlug: 'nope' });
      expect(await getShipment(t.db, before!.view.id)).toEqual(before);
    });
  });
});
