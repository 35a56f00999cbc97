import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_KINDS } from '../../support/stores.ts';
import { createEngineFixture, exampleOneDocument, expectProblem, type EngineFixture } from './engine-app-fixture.ts';

describe.each(STORE_KINDS)('/v1/shipments on %s', (kind) => {
  let f: EngineFixture;
  let shipmentId: number;
  beforeAll(async () => {
    f = await createEngineFixture(kind);
    shipmentId = (await f.postDocument(exampleOneDocument())).json().shipment.id;
  });
  afterAll(async () => f?.close());

  const as = async (clientId = 'demo-client') => ({ authorization: `Bearer ${await f.token(clientId)}` });

  it('GET returns the shipment view', async () => {
    const response = await f.app.inject({ method: 'GET', url: `/v1/shipments/${shipmentId}`, headers: await as() });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: shipmentId, shipmentNumber: 'TEST-EXAMPLE-SHIPMENT-001', status: 'SCHEDULED' });
    expect(response.json().orders[0].items).toHaveLength(5);
  });

  it('an unknown id is 404 SHIPMENT_NOT_FOUND; a non-numeric one 400; no token 401', async () => {
    expectProblem(await f.app.inject({ method: 'GET', url: '/v1/shipments/987654', headers: await as() }), 404, 'SHIPMENT_NOT_FOUND');
    expectProblem(await f.app.inject({ method: 'GET', url: '/v1/shipments/abc', headers: await as() }), 400, 'INVALID_SHIPMENT_ID');
    expectProblem(await f.app.inject({ method: 'GET', url: `/v1/shipments/${shipmentId}` }), 401, 'MISSING_TOKEN');
  });

  it('another tenant\'s shipment answers as a missing one (404), so ids and owners do not leak', async () => {
    const missing = await f.app.inject({ method: 'GET', url: '/v1/shipments/987654', headers: await as('acme-client') });
    const foreign = await f.app.inject({ method: 'GET', url: `/v1/shipments/${shipmentId}`, headers: await as('acme-client') });
    expectProblem(foreign, 404, 'SHIPMENT_NOT_FOUND');
    expect(foreign.body).not.toContain('kargo');
    expect(foreign.json().detail.replace(String(shipmentId), 'ID')).toBe(missing.json().detail.replace('987654', 'ID'));
    expectProblem(
      await f.app.inject({ method: 'POST', url: `/v1/shipments/${shipmentId}/events`, headers: await as('acme-client'), payload: { type: 'ARRIVED' } }),
      404,
      'SHIPMENT_NOT_FOUND',
    );
    const still = await f.app.inject({ method: 'GET', url: `/v1/shipments/${shipmentId}`, headers: await as() });
    expect(still.json().status).toBe('SCHEDULED');
  });

  it('events ARRIVED then DEPARTED move the status and complete the status events', async () => {
    const arrived = await f.app.inject({ method: 'POST', url: `/v1/shipments/${shipmentId}/events`, headers: await as(), payload: { type: 'ARRIVED' } });
    expect(arrived.statusCode).toBe(200);
    expect(arrived.json().status).toBe('ARRIVED');
    const departed = await f.app.inject({ method: 'POST', url: `/v1/shipments/${shipmentId}/events`, headers: await as(), payload: { type: 'DEPARTED' } });
    expect(departed.statusCode).toBe(200);
    expect(departed.json().status).toBe('DEPARTED');
    expect(departed.json().statusEvents.every((event: { completed: boolean }) => event.completed)).toBe(true);
  });

  it('an unknown event type is 422 INVALID_EVENT; an XML body 415', async () => {
    expectProblem(await f.app.inject({ method: 'POST', url: `/v1/shipments/${shipmentId}/events`, headers: await as(), payload: { type: 'LOST' } }), 422, 'INVALID_EVENT');
    expectProblem(
      await f.app.inject({ method: 'POST', url: `/v1/shipments/${shipmentId}/events`, headers: { ...(await as()), 'content-type': 'application/xml' }, payload: '<type>ARRIVED</type>' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });
});
