import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyDocument } from '../../../src/engine/apply-document.ts';
import { validateDocument } from '../../../src/engine/documents/validate-document.ts';
import { purgeExpiredIdempotencyKeys } from '../../../src/engine/idempotency/apply-idempotently.ts';
import { STORE_KINDS } from '../../support/stores.ts';
import { createEngineFixture, exampleOneDocument, expectProblem, type EngineFixture } from './engine-app-fixture.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

describe.each(STORE_KINDS)('Idempotency-Key on %s', (kind) => {
  let f: EngineFixture;
  beforeAll(async () => {
    f = await createEngineFixture(kind);
  });
  afterAll(async () => f?.close());

  const doc = (n: string) => exampleOneDocument({ orderNumber: `IDEM-${n}`, shipmentNumber: `IDEM-${n}` });
  const itemIds = async (shipmentId: number) => {
    const response = await f.app.inject({ method: 'GET', url: `/v1/shipments/${shipmentId}`, headers: { authorization: `Bearer ${await f.token()}` } });
    return response.json().orders[0].items.map((item: { id: string }) => item.id);
  };

  it('the same key and body replays the first response (status, body) without applying again', async () => {
    const body = JSON.stringify(doc('1'));
    const first = await f.postDocument(body, { 'idempotency-key': 'key-1' });
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const ids = await itemIds(first.json().shipment.id);
    const again = await f.postDocument(body, { 'idempotency-key': 'key-1' });
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);
    expect(await itemIds(first.json().shipment.id)).toEqual(ids);
    // Without the key the same OVERWRITE document applies again: new item ids (guide, section 6).
    const applied = await f.postDocument(body);
    expect(applied.json().removed).toHaveLength(5);
  });

  it('each keyed document applies against what the store holds, whether this engine wrote it last or another one did', async () => {
    const shipmentId = (await f.postDocument(doc('7'), { 'idempotency-key': 'key-7a' })).json().shipment.id;
    const merge = (lpn: string, quantity: number) =>
      exampleOneDocument({ orderNumber: 'IDEM-7', shipmentNumber: 'IDEM-7', orderItemUpdateStrategy: 'MERGE', items: [{ lpn, sku: 'SKU-7', quantity }] });
    // This engine wrote the order last: the document is checked and written in the key's own round trip.
    expect((await f.postDocument(merge('NEW-1', 1), { 'idempotency-key': 'key-7b' })).statusCode).toBe(201);
    // Another engine process (no expectations of its own) adds an item under this one's expectation.
    await applyDocument(f.db, validateDocument(merge('NEW-2', 2)));
    const outcome = await f.postDocument(merge('NEW-1', 3), { 'idempotency-key': 'key-7c' });
    expect(outcome.statusCode).toBe(200);
    const items = outcome.json().shipment.orders[0].items.map((i: { lpn: string; quantity: number }) => [i.lpn, i.quantity]);
    expect(items.slice(-2)).toEqual([['NEW-1', 3], ['NEW-2', 2]]);
    expect(await itemIds(shipmentId)).toHaveLength(7);
    expect((await f.postDocument(merge('NEW-1', 3), { 'idempotency-key': 'key-7c' })).body).toBe(outcome.body);
  });

  it('the same key with a different body is 422 IDEMPOTENCY_KEY_REUSED', async () => {
    await f.postDocument(doc('2'), { 'idempotency-key': 'key-2' });
    expectProblem(await f.postDocument(doc('2-other'), { 'idempotency-key': 'key-2' }), 422, 'IDEMPOTENCY_KEY_REUSED');
  });

  it('keys are per client', async () => {
    await f.postDocument(doc('3'), { 'idempotency-key': 'shared-key' });
    const acme = await f.token('acme-client');
    const response = await f.postDocument(exampleOneDocument({ business: 'acme', facility: 'nyc', orderNumber: 'IDEM-3' }), {
      'idempotency-key': 'shared-key',
      authorization: `Bearer ${acme}`,
    });
    expect(response.statusCode).toBe(201);
    expect(response.headers['idempotent-replayed']).toBeUndefined();
  });

  it('concurrent requests with one key apply once; the others replay', async () => {
    const body = JSON.stringify(doc('4'));
    const responses = await Promise.all(Array.from({ length: 6 }, () => f.postDocument(body, { 'idempotency-key': 'key-4' })));
    expect(responses.map((response) => response.statusCode)).toEqual(Array(6).fill(201));
    expect(responses.filter((response) => response.headers['idempotent-replayed'] === undefined)).toHaveLength(1);
    expect(new Set(responses.map((response) => response.body)).size).toBe(1);
    expect(await itemIds(responses[0]!.json().shipment.id)).toHaveLength(5);
  });

  it('a failed application stores nothing, so the key can be used once the document is fixed', async () => {
    const bad = await f.postDocument(exampleOneDocument({ orderNumber: 'IDEM-5', facility: 'no-such-facility' }), { 'idempotency-key': 'key-5' });
    expect(bad.statusCode).toBe(404);
    const good = await f.postDocument(doc('5'), { 'idempotency-key': 'key-5' });
    expect(good.statusCode).toBe(201);
  });

  it('a key expires after 24 hours and is purged', async () => {
    const body = JSON.stringify(doc('6'));
    await f.postDocument(body, { 'idempotency-key': 'key-6' });
    f.clock.advance(DAY_MS + 1000);
    try {
      const after = await f.postDocument(body, { 'idempotency-key': 'key-6', authorization: `Bearer ${await freshToken()}` });
      expect(after.statusCode).toBe(201);
      expect(after.headers['idempotent-replayed']).toBeUndefined();
      expect(after.json().removed).toHaveLength(5);
      f.clock.advance(DAY_MS + 1000);
      expect(await purgeExpiredIdempotencyKeys(f.db, f.clock.now)).toBeGreaterThan(0);
      const { rows } = await f.db.query<{ n: number }>('SELECT count(*)::int AS n FROM engine.idempotency_keys');
      expect(rows[0]?.n).toBe(0);
    } finally {
      f.clock.advance(-2 * (DAY_MS + 1000));
    }
  });

  it('an unusable key is 400 INVALID_IDEMPOTENCY_KEY', async () => {
    expectProblem(await f.postDocument(doc('7'), { 'idempotency-key': 'x'.repeat(256) }), 400, 'INVALID_IDEMPOTENCY_KEY');
    expectProblem(await f.postDocument(doc('7'), { 'idempotency-key': 'with space' }), 400, 'INVALID_IDEMPOTENCY_KEY');
  });

  /** A token valid at the moved clock (the cached one has expired there). */
  async function freshToken(): Promise<string> {
    const response = await f.app.inject({ method: 'POST', url: '/oauth/token', payload: { grant_type: 'client_credentials', client_id: 'demo-client', client_secret: 'demo-secret' } });
    return response.json().access_token;
  }
});
