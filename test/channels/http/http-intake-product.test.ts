import { orderCsvMapping } from '../../support/order-csv-mapping.ts';
import { waitFor } from '../../support/wait-for.ts';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, verifyCallbackSignature } from '../../../src/channels/http/http-callback-deliverer.ts';
import type { CallbackPayload, FileReceipt, FileStatus } from '../../../src/channels/http/http-intake-schemas.ts';
import { hashClientSecret } from '../../../src/engine/auth/client-secret.ts';
import { startHttpProduct, type HttpProduct } from './support/http-product.ts';

const TOKEN = 'shipper-http-token-0123456789';
const NEIGHBOUR_TOKEN = 'neighbour-http-token-0123456789';
const CALLBACK_SECRET = 'whsec-test-0123456789';

const CSV_MAPPING = orderCsvMapping();

// The Unified Endpoint: the customer's own JSON, one object a line item, nested values by path.
const JSON_MAPPING = `format: { type: json }
match: { fileName: ["*.json"] }
groupBy: { key: orderId }
document:
  orderNumber: orderId
  shipmentNumber: shipment.number
items:
  lpn: item.lpn
  sku: item.sku
  quantity: item.qty | number
  quantityUnit: { column: item.unit, transforms: [{ default: CASE }] }
`;

interface ReceivedCallback {
  raw: string;
  signature: string | undefined;
  payload: CallbackPayload;
}


describe('HTTP intake through the whole product', () => {
  let product: HttpProduct;
  let mappingsDir: string;
  let hooks: FastifyInstance;
  const callbacks: ReceivedCallback[] = [];
  /** Files whose first callback is answered 500. */
  const failFirst = new Set<string>();
  const failed = new Set<string>();

  beforeAll(async () => {
    hooks = Fastify();
    hooks.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    hooks.post('/hooks/intake', async (request, reply) => {
      const raw = request.body as string;
      const payload = JSON.parse(raw) as CallbackPayload;
      callbacks.push({ raw, signature: request.headers[SIGNATURE_HEADER.toLowerCase()] as string | undefined, payload });
      if (failFirst.has(payload.name) && !failed.has(payload.name)) {
        failed.add(payload.name);
        return reply.code(500).send({ error: 'try again' });
      }
      return reply.code(204).send();
    });
    const hooksUrl = await hooks.listen({ host: '127.0.0.1', port: 0 });

    mappingsDir = mkdtempSync(join(tmpdir(), 'intake-http-mappings-'));
    mkdirSync(join(mappingsDir, 'shipper'));
    writeFileSync(
      join(mappingsDir, 'shipper', 'customer.yaml'),
      `business: kargo
facility: sf
direction: OUTBOUND
channels:
  http:
    tokenHashes: ["${await hashClientSecret(TOKEN)}"]
    callbackUrl: ${hooksUrl}/hooks/intake
    callbackSecretFrom: { file: callback.secret }
`,
    );
    writeFileSync(join(mappingsDir, 'shipper', 'callback.secret'), `${CALLBACK_SECRET}\n`);
    writeFileSync(join(mappingsDir, 'shipper', 'orders.yaml'), CSV_MAPPING);
    writeFileSync(join(mappingsDir, 'shipper', 'feed.yaml'), JSON_MAPPING);
    mkdirSync(join(mappingsDir, 'neighbour'));
    writeFileSync(join(mappingsDir, 'neighbour', 'customer.yaml'), `business: kargo\nfacility: sf\ndirection: OUTBOUND\nchannels:\n  http:\n    tokenHashes: ["${await hashClientSecret(NEIGHBOUR_TOKEN)}"]\n`);
    product = await startHttpProduct({ mappingsDir });
  }, 120_000);
  afterAll(async () => {
    await product?.stop();
    await hooks?.close();
    rmSync(mappingsDir, { recursive: true, force: true });
  });

  const bearer = (token = TOKEN) => ({ authorization: `Bearer ${token}` });

  async function post(path: string, headers: Record<string, string>, body: string): Promise<{ response: Response; receipt: FileReceipt }> {
    const response = await fetch(`${product.url}${path}`, { method: 'POST', headers: { ...bearer(), ...headers }, body });
    const receipt = (await response.clone().json()) as FileReceipt;
    return { response, receipt };
  }

  async function finalStatus(statusUrl: string): Promise<FileStatus> {
    return waitFor(`final state of ${statusUrl}`, async () => {
      const response = await fetch(`${product.url}${statusUrl}`, { headers: bearer() });
      expect(response.status).toBe(200);
      const status = (await response.json()) as FileStatus;
      return status.final ? status : undefined;
    });
  }

  const callbackFor = (fileId: string, attempt = 1) => waitFor(`callback ${attempt} of ${fileId}`, () => callbacks.filter((c) => c.payload.fileId === fileId)[attempt - 1]);

  it('takes a file: 202 with a status URL, then the outcome of each document and the result files', async () => {
    const { response, receipt } = await post(
      '/v1/inbound/shipper/files',
      { 'content-type': 'text/csv', 'x-file-name': 'orders.csv' },
      'order,shipment,lpn,sku,qty,unit\nH-1,S-H-1,HL1,HSKU1,10,CASE\nH-1,S-H-1,HL2,HSKU2,5,CASE\nH-2,S-H-2,HL3,HSKU3,ten,UNIT\n',
    );
    expect(response.status).toBe(202);
    expect(receipt.state).toBe('QUEUED');
    expect(response.headers.get('location')).toBe(`/v1/inbound/files/${receipt.fileId}`);

    const status = await finalStatus(receipt.statusUrl);
    expect(status).toMatchObject({ fileId: receipt.fileId, state: 'PARTIAL', channel: 'http', mapping: 'orders', counts: { documents: 2, accepted: 1, rejected: 1, pending: 0 } });
    const [accepted, rejected] = status.documents;
    expect(accepted).toMatchObject({ orderNumber: 'H-1', outcome: 'ACCEPTED', source: 'lines 2-3', error: null });
    expect(accepted!.engineStatus).toBe(201);
    expect(accepted!.created.map((ref) => ref.type).sort()).toEqual(['ORDER', 'ORDER_ITEM', 'ORDER_ITEM', 'SHIPMENT']);
    expect(rejected).toMatchObject({ orderNumber: 'H-2', outcome: 'REJECTED', engineStatus: null });
    expect(rejected!.error?.message).toMatch(/ten/);
    expect(rejected!.error?.place).toMatchObject({ line: 4 });

    expect(status.results.map((r) => r.name)).toEqual(['orders.csv.result.csv', 'orders.csv.result.json']);
    const csv = await fetch(`${product.url}${status.results[0]!.url}`, { headers: bearer() });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(await csv.text()).toContain('H-1');
    const json = await fetch(`${product.url}${status.results[1]!.url}`, { headers: bearer() });
    expect(((await json.json()) as { file: { state: string } }).file.state).toBe('PARTIAL');
    const traversal = await fetch(`${product.url}${status.statusUrl}/results/..%2F..%2Fetc%2Fpasswd`, { headers: bearer() });
    expect(traversal.status).toBe(404);

    // Another customer's valid token sees nothing of it: 401 while the gateway cannot tell whose it is without
    // running scrypt for every customer, 404 once that token has been used.
    const unused = await fetch(`${product.url}${receipt.statusUrl}`, { headers: bearer(NEIGHBOUR_TOKEN) });
    expect(unused.status).toBe(401);
    expect(await unused.text()).not.toContain('H-1');
    const own = await fetch(`${product.url}/v1/inbound/neighbour/files`, { method: 'POST', headers: { ...bearer(NEIGHBOUR_TOKEN), 'x-file-name': 'empty.csv' }, body: '' });
    expect(own.status).toBe(400);
    const neighbour = await fetch(`${product.url}${receipt.statusUrl}`, { headers: bearer(NEIGHBOUR_TOKEN) });
    expect(neighbour.status).toBe(404);
    const neighbourResult = await fetch(`${product.url}${status.results[0]!.url}`, { headers: bearer(NEIGHBOUR_TOKEN) });
    expect(neighbourResult.status).toBe(404);
  });

  it('tells the callback URL, signed, with the counts and absolute result URLs', async () => {
    const { receipt } = await post('/v1/inbound/shipper/files', { 'x-file-name': 'cb.csv' }, 'order,shipment,lpn,sku,qty,unit\nCB-1,S-CB,CL1,CSKU1,1,CASE\n');
    const callback = await callbackFor(receipt.fileId);
    expect(verifyCallbackSignature(CALLBACK_SECRET, callback.raw, callback.signature)).toBe(true);
    expect(verifyCallbackSignature('another-secret', callback.raw, callback.signature)).toBe(false);
    expect(callback.payload).toMatchObject({
      event: 'file.finished',
      fileId: receipt.fileId,
      customer: 'shipper',
      name: 'cb.csv',
      state: 'COMPLETED',
      counts: { documents: 1, accepted: 1, rejected: 0, failed: 0 },
      error: null,
      statusUrl: `${product.url}/v1/inbound/files/${receipt.fileId}`,
    });
    const resultUrl = callback.payload.results.find((r) => r.name === 'cb.csv.result.csv')!.url;
    expect(resultUrl.startsWith(product.url)).toBe(true);
    expect((await fetch(resultUrl, { headers: bearer() })).status).toBe(200);
    const delivery = await product.db.query<{ state: string; attempts: number }>(`SELECT state, attempts FROM gateway.deliveries WHERE file_id = $1`, [receipt.fileId]);
    expect(delivery.rows[0]).toMatchObject({ state: 'DELIVERED', attempts: 1 });
  });

  it('retries the callback after a 500, with the same body', async () => {
    failFirst.add('retry.csv');
    const { receipt } = await post('/v1/inbound/shipper/files', { 'x-file-name': 'retry.csv' }, 'order,shipment,lpn,sku,qty,unit\nRT-1,S-RT,RL1,RSKU1,1,CASE\n');
    const first = await callbackFor(receipt.fileId, 1);
    const second = await callbackFor(receipt.fileId, 2);
    expect(second.raw).toBe(first.raw);
    expect(verifyCallbackSignature(CALLBACK_SECRET, second.raw, second.signature)).toBe(true);
    const delivery = await waitFor('the delivery recorded', async () => {
      const { rows } = await product.db.query<{ state: string; attempts: number }>(`SELECT state, attempts FROM gateway.deliveries WHERE file_id = $1`, [receipt.fileId]);
      return rows[0]?.state === 'DELIVERED' ? rows[0] : undefined;
    });
    expect(delivery.attempts).toBe(2);
  });

  it.each([
    ['an object', 'application/json', JSON.stringify({ orderId: 'J-OBJ', shipment: { number: 'S-J-OBJ' }, item: { lpn: 'JL1', sku: 'JSKU1', qty: 4 } }), [['J-OBJ', 1]]],
    [
      'an array',
      'application/json',
      JSON.stringify([
        { orderId: 'J-ARR', shipment: { number: 'S-J-ARR' }, item: { lpn: 'JL2', sku: 'JSKU2', qty: 1, unit: 'UNIT' } },
        { orderId: 'J-ARR', shipment: { number: 'S-J-ARR' }, item: { lpn: 'JL3', sku: 'JSKU3', qty: 2 } },
      ]),
      [['J-ARR', 2]],
    ],
    [
      'NDJSON',
      'application/x-ndjson',
      `${JSON.stringify({ orderId: 'J-ND1', shipment: { number: 'S-J-ND' }, item: { lpn: 'JL4', sku: 'JSKU4', qty: 1 } })}\n${JSON.stringify({ orderId: 'J-ND2', shipment: { number: 'S-J-ND' }, item: { lpn: 'JL5', sku: 'JSKU5', qty: 3 } })}\n`,
      [
        ['J-ND1', 1],
        ['J-ND2', 1],
      ],
    ],
  ] as const)('maps JSON records sent as %s with the JSON mapping, and the engine accepts them', async (_what, contentType, body, orders) => {
    const { response, receipt } = await post('/v1/inbound/shipper/records', { 'content-type': contentType }, body);
    expect(response.status).toBe(202);
    const status = await finalStatus(receipt.statusUrl);
    expect(status).toMatchObject({ state: 'COMPLETED', mapping: 'feed' });
    expect(status.name).toMatch(/\.json$/);
    expect(status.documents.map((d) => [d.orderNumber, d.outcome])).toEqual(orders.map(([order]) => [order, 'ACCEPTED']));
    for (const [order, items] of orders) {
      const { rows } = await product.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM engine.order_items i JOIN engine.orders o ON o.id = i.order_id WHERE o.order_number = $1`,
        [order],
      );
      expect(rows[0]?.n).toBe(items);
    }
  });
});
