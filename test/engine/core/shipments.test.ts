import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { applyDocument } from '../../../src/engine/apply-document.ts';
import { validateDocument } from '../../../src/engine/documents/validate-document.ts';
import { getShipment, recordShipmentEvent } from '../../../src/engine/shipments.ts';
import { STORE_KINDS, type TestDatabase } from '../../support/stores.ts';
import { clearDocuments, createEngineTestDb } from './engine-test-store.ts';

const doc = validateDocument({ orderNumber: 'O-1', business: 'kargo', facility: 'sf', direction: 'INBOUND', shipmentNumber: 'S-1' });
const scheduled = new Date('2026-03-01T12:00:00.000Z');
const arrived = new Date('2026-03-01T15:00:00.000Z');
const departed = new Date('2026-03-01T17:30:00.000Z');

describe.each(STORE_KINDS)('shipment events on %s', (kind) => {
  let t: TestDatabase;
  let id: number;
  beforeAll(async () => {
    t = await createEngineTestDb(kind);
  });
  afterAll(async () => t?.drop());
  beforeEach(async () => {
    await clearDocuments(t);
    id = (await applyDocument(t.db, doc, { now: scheduled })).body.shipment.id;
  });

  it('getShipment returns the view with its business and facility; an unknown id is null', async () => {
    const found = await getShipment(t.db, id);
    expect(found).toMatchObject({ business: 'kargo', facility: 'sf', view: { id, shipmentNumber: 'S-1', status: 'SCHEDULED' } });
    expect(await getShipment(t.db, id + 1000)).toBeNull();
  });

  it('ARRIVED then DEPARTED complete their events and set the status', async () => {
    const afterArrival = await recordShipmentEvent(t.db, id, 'ARRIVED', { now: arrived });
    expect(afterArrival.status).toBe('ARRIVED');
    const afterDeparture = await recordShipmentEvent(t.db, id, 'DEPARTED', { now: departed });
    expect(afterDeparture.status).toBe('DEPARTED');
    expect(afterDeparture.statusEvents).toEqual([
      { status: 'SCHEDULED', completed: true, completedAt: scheduled.toISOString() },
      { status: 'ARRIVED', completed: true, completedAt: arrived.toISOString() },
      { status: 'DEPARTED', completed: true, completedAt: departed.toISOString() },
    ]);
    expect((await getShipment(t.db, id))?.view).toEqual(afterDeparture);
  });

  it('DEPARTED before ARRIVED is 409 EVENT_OUT_OF_ORDER', async () => {
    await expect(recordShipmentEvent(t.db, id, 'DEPARTED')).rejects.toMatchObject({ status: 409, code: 'EVENT_OUT_OF_ORDER' });
  });

  it('repeating an event is 409 EVENT_ALREADY_COMPLETED', async () => {
    await recordShipmentEvent(t.db, id, 'ARRIVED');
    await expect(recordShipmentEvent(t.db, id, 'ARRIVED')).rejects.toMatchObject({ status: 409, code: 'EVENT_ALREADY_COMPLETED' });
    await recordShipmentEvent(t.db, id, 'DEPARTED');
    await expect(recordShipmentEvent(t.db, id, 'DEPARTED')).rejects.toMatchObject({ status: 409, code: 'EVENT_ALREADY_COMPLETED' });
    await expect(recordShipmentEvent(t.db, id, 'ARRIVED')).rejects.toMatchObject({ status: 409, code: 'EVENT_ALREADY_COMPLETED' });
  });

  it('an unknown shipment is 404 SHIPMENT_NOT_FOUND', async () => {
    await expect(recordShipmentEvent(t.db, id + 1000, 'ARRIVED')).rejects.toMatchObject({ status: 404, code: 'SHIPMENT_NOT_FOUND' });
  });

  it('an arrived shipment is no longer eligible: its number is 409, its orders are not matched', async () => {
    await recordShipmentEvent(t.db, id, 'ARRIVED');
    await expect(applyDocument(t.db, doc)).rejects.toMatchObject({ status: 409, code: 'SHIPMENT_CONFLICT' });
    const next = await applyDocument(t.db, { ...doc, shipmentNumber: 'S-2' });
    expect(next.body.created.map((c) => c.type)).toEqual(['SHIPMENT', 'ORDER']);
  });

  // PGlite has one connection: only a PostgreSQL server can hold an arrival open while a document runs.
  it.skipIf(kind === 'pglite')('a document racing an arrival waits for it and then gets 409 SHIPMENT_CONFLICT', async () => {
    const arrival = new pg.Client({ connectionString: t.url });
    await arrival.connect();
    try {
      await arrival.query('BEGIN');
      await arrival.query('UPDATE engine.shipments SET arrived_at = now() WHERE id = $1', [id]);
      const racing = applyDocument(t.db, { ...doc, items: [{ lpn: 'L', sku: 'S', quantity: 1, quantityUnit: 'CASE' }] });
      const settled = racing.then(() => 'applied', () => 'refused');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await Promise.race([settled, 'waiting'])).toBe('waiting');
      await arrival.query('COMMIT');
      await expect(racing).rejects.toMatchObject({ status: 409, code: 'SHIPMENT_CONFLICT' });
    } finally {
      await arrival.end();
    }
  });
});
