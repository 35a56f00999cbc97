import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DocumentResponse, EntityRef } from '../../../src/documents/response.ts';
import { STORE_KINDS } from '../../support/stores.ts';
import { createEngineFixture, type EngineFixture } from './engine-app-fixture.ts';

/**
 * The platform guide's examples (sections 6-10), verbatim and in order, each followed by its "repeated request",
 * against one store. Ids differ from the guide's, so each guide id is bound to ours the first time it appears:
 * a guide id in `created` must be one we never returned before (new), one in `updated`/`removed` must be the
 * one it was bound to (reused).
 *
 * Where the guide's listings are partial, the expectations here are complete, and say so:
 * - the guide's `shipment` blocks show only some items of the order; the engine returns the whole order, so
 *   each step lists every item (the guide's shown items are among them, with the same fields and ids);
 * - example 5 removes only LPNNEW in the guide, written as if the order held nothing else; in one run after
 *   examples 1-4 the order also holds the four items of the first OVERWRITE that MERGE/DELETE left, and
 *   OVERWRITE removes them too ("all existing order items ... are deleted and returned in removed").
 */

const REQUESTS = {
  example1: `{
"orderNumber": "TEST-EXAMPLE-ORDER-001",
"business": "kargo",
"facility": "sf",
"direction": "OUTBOUND",
"shipmentNumber": "TEST-EXAMPLE-SHIPMENT-001",
"items": [
{
"lpn": "LPNABC",
"sku": "SKU123",
"quantity": 10,
"quantityUnit": "CASE"
},
{
"lpn": "LPNABC",
"sku": "SKU456",
"quantity": 8,
"quantityUnit": "CASE"
},
{
"lpn": "LPNDEF",
"sku": "SKU789",
"quantity": 12,
"quantityUnit": "CASE"
},
{
"lpn": "LPNGHI",
"sku": "SKU123",
"quantity": 6,
"quantityUnit": "CASE"
},
{
"lpn": "LPNJKL",
"sku": "SKU999",
"quantity": 15,
"quantityUnit": "CASE"
}
]
}`,
  example2: `{
"orderNumber": "TEST-EXAMPLE-ORDER-001",
"business": "kargo",
"facility": "sf",
"direction": "OUTBOUND",
"shipmentNumber": "TEST-EXAMPLE-SHIPMENT-001",
"orderItemUpdateStrategy": "APPEND",
"items": [
{
"lpn": "LPNNEW",
"sku": "SKUAPPEND",
"quantity": 1,
"quantityUnit": "UNIT"
}
]
}`,
  example3: `{
"orderNumber": "TEST-EXAMPLE-ORDER-001",
"business": "kargo",
"facility": "sf",
"direction": "OUTBOUND",
"shipmentNumber": "TEST-EXAMPLE-SHIPMENT-001",
"orderItemUpdateStrategy": "MERGE",
"items": [
{
"lpn": "LPNABC",
"sku": "SKU123",
"quantity": 5,
"quantityUnit": "CASE"
}
]
}`,
  example4: `{
"orderNumber": "TEST-EXAMPLE-ORDER-001",
"business": "kargo",
"facility": "sf",
"direction": "OUTBOUND",
"shipmentNumber": "TEST-EXAMPLE-SHIPMENT-001",
"orderItemUpdateStrategy": "DELETE",
"items": [
{
"lpn": "LPNABC",
"sku": "SKU123"
}
]
}`,
  example5: `{
"orderNumber": "TEST-EXAMPLE-ORDER-001",
"business": "kargo",
"facility": "sf",
"direction": "OUTBOUND",
"shipmentNumber": "TEST-EXAMPLE-SHIPMENT-001",
"orderItemUpdateStrategy": "OVERWRITE",
"items": [
{
"lpn": "LPNREPLACE001",
"sku": "SKUREPLACE001",
"quantity": 2,
"quantityUnit": "UNIT"
},
{
"lpn": "LPNREPLACE002",
"sku": "SKUREPLACE002",
"quantity": 3,
"quantityUnit": "CASE"
}
]
}`,
};

/** [type, guide id, reference] as the guide lists them. */
type Ref = [EntityRef['type'], string, string];
/** [lpn, sku, quantity, quantityUnit, guide id] */
type ItemRow = [string, string, number, string, string];

interface Expected {
  status: 200 | 201;
  created: Ref[];
  updated: Ref[];
  removed: Ref[];
  items: ItemRow[];
}

const SHIPMENT: Ref = ['SHIPMENT', '6463000', 'TEST-EXAMPLE-SHIPMENT-001'];
const ORDER: Ref = ['ORDER', '1268000', 'TEST-EXAMPLE-ORDER-001'];
const item = (id: string, reference: string): Ref => ['ORDER_ITEM', id, reference];

const FIRST_ITEMS = (ids: string[]): ItemRow[] => [
  ['LPNABC', 'SKU123', 10, 'CASE', ids[0]!],
  ['LPNABC', 'SKU456', 8, 'CASE', ids[1]!],
  ['LPNDEF', 'SKU789', 12, 'CASE', ids[2]!],
  ['LPNGHI', 'SKU123', 6, 'CASE', ids[3]!],
  ['LPNJKL', 'SKU999', 15, 'CASE', ids[4]!],
];
const REMAINING_AFTER_DELETE: ItemRow[] = [
  ['LPNABC', 'SKU456', 8, 'CASE', '3700007'],
  ['LPNDEF', 'SKU789', 12, 'CASE', '3700008'],
  ['LPNGHI', 'SKU123', 6, 'CASE', '3700009'],
  ['LPNJKL', 'SKU999', 15, 'CASE', '3700010'],
  ['LPNNEW', 'SKUAPPEND', 1, 'UNIT', '3700011'],
];
const AFTER_MERGE: ItemRow[] = [['LPNABC', 'SKU123', 5, 'CASE', '3700006'], ...REMAINING_AFTER_DELETE];

describe.each(STORE_KINDS)('the guide\'s examples (sections 6-10) in order, on %s', (kind) => {
  let f: EngineFixture;
  /** guide id -> our id */
  const bound = new Map<string, string>();
  const ours = new Set<string>();

  beforeAll(async () => {
    f = await createEngineFixture(kind);
  });
  afterAll(async () => f?.close());

  /** Ids are unique per entity type (a shipment and an order may both be 1). */
  function bindNew(type: string, guideId: string, id: string): void {
    expect(bound.has(guideId), `guide id ${guideId} is created twice`).toBe(false);
    expect(ours.has(`${type}:${id}`), `${type} id ${id} (guide ${guideId}) should be new but was returned before`).toBe(false);
    bound.set(guideId, id);
    ours.add(`${type}:${id}`);
  }

  function expectReused(_type: string, guideId: string, id: string): void {
    expect(bound.get(guideId), `guide id ${guideId} should be an id returned before`).toBe(id);
  }

  function expectRefs(actual: EntityRef[], expected: Ref[], kind: 'created' | 'reused'): void {
    expect(actual.map((ref) => [ref.type, ref.reference])).toEqual(expected.map(([type, , reference]) => [type, reference]));
    expected.forEach(([type, guideId], index) => (kind === 'created' ? bindNew : expectReused)(type, guideId, actual[index]!.id));
  }

  async function send(request: string, expected: Expected): Promise<DocumentResponse> {
    const response = await f.postDocument(request);
    expect(response.statusCode, response.body).toBe(expected.status);
    const body = response.json<DocumentResponse>();
    expectRefs(body.created, expected.created, 'created');
    expectRefs(body.updated, expected.updated, 'reused');
    expectRefs(body.removed, expected.removed, 'reused');
    expect(body.shipment.id).toBe(Number(bound.get('6463000')));
    expect(body.shipment.shipmentNumber).toBe('TEST-EXAMPLE-SHIPMENT-001');
    expect(body.shipment.orders.map((order) => order.orderNumber)).toEqual(['TEST-EXAMPLE-ORDER-001']);
    expect(body.shipment.orders[0]!.id).toBe(bound.get('1268000'));
    const items = body.shipment.orders[0]!.items.map((row) => [row.lpn, row.sku, row.quantity, row.quantityUnit, row.id]);
    expect(items).toEqual(expected.items.map(([lpn, sku, quantity, unit, guideId]) => [lpn, sku, quantity, unit, bound.get(guideId)]));
    return body;
  }

  it('example 1: creates the shipment, the order and five items (201, default OVERWRITE)', async () => {
    const body = await send(REQUESTS.example1, {
      status: 201,
      created: [
        SHIPMENT,
        ORDER,
        item('3700001', 'LPNABC'),
        item('3700002', 'LPNABC'),
        item('3700003', 'LPNDEF'),
        item('3700004', 'LPNGHI'),
        item('3700005', 'LPNJKL'),
      ],
      updated: [],
      removed: [],
      items: FIRST_ITEMS(['3700001', '3700002', '3700003', '3700004', '3700005']),
    });
    expect(body.shipment.status).toBe('SCHEDULED');
    expect(body.shipment.orders[0]!.status).toBe('CREATED');
  });

  it('example 1 repeated: 201, the items replaced by new rows with new ids', async () => {
    await send(REQUESTS.example1, {
      status: 201,
      created: [item('3700006', 'LPNABC'), item('3700007', 'LPNABC'), item('3700008', 'LPNDEF'), item('3700009', 'LPNGHI'), item('3700010', 'LPNJKL')],
      updated: [SHIPMENT, ORDER],
      removed: [item('3700001', 'LPNABC'), item('3700002', 'LPNABC'), item('3700003', 'LPNDEF'), item('3700004', 'LPNGHI'), item('3700005', 'LPNJKL')],
      items: FIRST_ITEMS(['3700006', '3700007', '3700008', '3700009', '3700010']),
    });
  });

  it('example 2: APPEND adds LPNNEW (201) and keeps the existing items', async () => {
    await send(REQUESTS.example2, {
      status: 201,
      created: [item('3700011', 'LPNNEW')],
      updated: [SHIPMENT, ORDER],
      removed: [],
      items: [...FIRST_ITEMS(['3700006', '3700007', '3700008', '3700009', '3700010']), ['LPNNEW', 'SKUAPPEND', 1, 'UNIT', '3700011']],
    });
  });

  it('example 2 repeated: 409 DUPLICATE_ORDER_ITEM_KEY with the guide\'s exact body', async () => {
    const response = await f.postDocument(REQUESTS.example2);
    expect(response.statusCode).toBe(409);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({
      type: 'about:blank',
      title: 'Conflict',
      status: 409,
      detail: 'DUPLICATE_ORDER_ITEM_KEY: lpn=LPNNEW, sku=SKUAPPEND',
    });
  });

  it('example 3: MERGE updates LPNABC + SKU123 in place (200, same id, quantity 5)', async () => {
    await send(REQUESTS.example3, { status: 200, created: [], updated: [SHIPMENT, ORDER, item('3700006', 'LPNABC')], removed: [], items: AFTER_MERGE });
  });

  it('example 3 repeated: 200, the same item updated again', async () => {
    await send(REQUESTS.example3, { status: 200, created: [], updated: [SHIPMENT, ORDER, item('3700006', 'LPNABC')], removed: [], items: AFTER_MERGE });
  });

  it('example 4: DELETE removes LPNABC + SKU123 (200)', async () => {
    await send(REQUESTS.example4, { status: 200, created: [], updated: [SHIPMENT, ORDER], removed: [item('3700006', 'LPNABC')], items: REMAINING_AFTER_DELETE });
  });

  it('example 4 repeated: 200 with nothing removed', async () => {
    await send(REQUESTS.example4, { status: 200, created: [], updated: [SHIPMENT, ORDER], removed: [], items: REMAINING_AFTER_DELETE });
  });

  it('example 5: OVERWRITE removes every existing item and creates the two replacements (201)', async () => {
    await send(REQUESTS.example5, {
      status: 201,
      created: [item('3700012', 'LPNREPLACE001'), item('3700013', 'LPNREPLACE002')],
      updated: [SHIPMENT, ORDER],
      // The guide lists only LPNNEW (3700011); see the note at the top.
      removed: [item('3700007', 'LPNABC'), item('3700008', 'LPNDEF'), item('3700009', 'LPNGHI'), item('3700010', 'LPNJKL'), item('3700011', 'LPNNEW')],
      items: [
        ['LPNREPLACE001', 'SKUREPLACE001', 2, 'UNIT', '3700012'],
        ['LPNREPLACE002', 'SKUREPLACE002', 3, 'CASE', '3700013'],
      ],
    });
  });

  it('example 5 repeated: 201, the replacements replaced by new rows', async () => {
    await send(REQUESTS.example5, {
      status: 201,
      created: [item('3700014', 'LPNREPLACE001'), item('3700015', 'LPNREPLACE002')],
      updated: [SHIPMENT, ORDER],
      removed: [item('3700012', 'LPNREPLACE001'), item('3700013', 'LPNREPLACE002')],
      items: [
        ['LPNREPLACE001', 'SKUREPLACE001', 2, 'UNIT', '3700014'],
        ['LPNREPLACE002', 'SKUREPLACE002', 3, 'CASE', '3700015'],
      ],
    });
  });
});
