import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpCustomer } from '../../../src/channels/http/http-channel-schema.ts';
import { hashClientSecret, MAX_CONCURRENT_SCRYPT, verifyClientSecret } from '../../../src/engine/auth/client-secret.ts';
import type { Inbox } from '../../../src/inbox/inbox.ts';
import { startIntakeApp, type IntakeApp } from './support/intake-app.ts';

const SHIPPER_TOKEN = 'shipper-token-0123456789abcdef';
const OTHER_TOKEN = 'other-token-0123456789abcdef';
/** A stored hash twice as costly to check as a token's (N = 2^15): a check on it outlasts any answer that runs no scrypt. */
const SLOW_HASH = ['scrypt', 1 << 15, 8, 1, Buffer.alloc(16, 1).toString('base64url'), Buffer.alloc(32).toString('base64url')].join('$');

/**
 * The HTTP intake's refusals and its access rules, on the gateway app with a real inbox (spool on disk, ledger on
 * PGlite); the queues only record what was enqueued.
 */
describe('HTTP intake: authentication, limits and refusals', () => {
  let fixture: IntakeApp;
  let app: FastifyInstance;
  let parsed: string[];
  const spoolDir = () => fixture.spoolDir;

  beforeAll(async () => {
    const customers: Record<string, HttpCustomer> = {
      shipper: { customer: 'shipper', tokenHashes: [await hashClientSecret(SHIPPER_TOKEN)], tokens: [] },
      other: { customer: 'other', tokenHashes: [], tokens: [OTHER_TOKEN] },
    };
    fixture = await startIntakeApp(customers);
    ({ app, parsed } = fixture);
  });
  afterAll(async () => fixture?.close());

  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  const spooledFiles = () => (existsSync(join(spoolDir(), 'shipper')) ? readdirSync(join(spoolDir(), 'shipper')) : []);

  it('what the router refuses before any route (a path parameter over its length limit) is a problem with a Correlation-Id, not fastify\'s JSON echoing the URL', async () => {
    const longId = 'x'.repeat(2000);
    const response = await app.inject({ method: 'GET', url: `/v1/inbound/files/${longId}`, headers: { ...auth(SHIPPER_TOKEN), 'correlation-id': 'too-long-1' } });
    expect(response.statusCode).toBe(414);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ title: 'URI Too Long', code: 'URI_TOO_LONG' });
    expect(response.headers['correlation-id']).toBe('too-long-1');
    expect(response.body).not.toContain(longId);
  });

  async function upload(headers: Record<string, string>, payload: string | Buffer | Readable = 'order\n1\n') {
    return app.inject({ method: 'POST', url: '/v1/inbound/shipper/files', headers: { ...auth(SHIPPER_TOKEN), 'x-file-name': 'orders.csv', ...headers }, payload });
  }

  it('answers 202 with the file id, the state and the status URL in Location, and queues the file', async () => {
    const response = await upload({ 'content-type': 'text/csv', 'x-file-name': encodeURIComponent('März orders.csv') }, 'order\nM-1\n');
    expect(response.statusCode).toBe(202);
    const body = response.json();
    expect(body).toMatchObject({ state: 'QUEUED', statusUrl: `/v1/inbound/files/${body.fileId}` });
    expect(response.headers.location).toBe(body.statusUrl);
    expect(parsed).toContain(body.fileId);
    const status = await app.inject({ method: 'GET', url: body.statusUrl, headers: auth(SHIPPER_TOKEN) });
    expect(status.statusCode).toBe(200);
    expect(status.json()).toMatchObject({ fileId: body.fileId, customer: 'shipper', channel: 'http', name: 'März orders.csv', state: 'QUEUED', final: false, results: [], documents: [] });
  });

  it('takes the name from Content-Disposition when there is no X-File-Name', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/inbound/shipper/files',
      headers: { ...auth(SHIPPER_TOKEN), 'content-disposition': `attachment; filename*=UTF-8''disp%C3%B6sition.csv` },
      payload: 'order\nD-1\n',
    });
    expect(response.statusCode).toBe(202);
    const status = await app.inject({ method: 'GET', url: response.headers.location as string, headers: auth(SHIPPER_TOKEN) });
    expect(status.json().name).toBe('dispösition.csv');
  });

  it('keeps a file under its name without the bidi override and line separator that would disguise it', async () => {
    const response = await upload({ 'x-file-name': '%E2%80%AEvsc.exe%E2%80%A8' }, 'order\nRLO-1\n');
    expect(response.statusCode).toBe(202);
    const status = await app.inject({ method: 'GET', url: response.headers.location as string, headers: auth(SHIPPER_TOKEN) });
    expect(status.json().name).toBe('vsc.exe');
  });

  it.each([
    ['no token', {}],
    ['a wrong token', auth('wrong-token-0123456789abcdef')],
    ["another customer's token", auth(OTHER_TOKEN)],
    ['another scheme', { authorization: `Basic ${Buffer.from(`shipper:${SHIPPER_TOKEN}`).toString('base64')}` }],
  ])('is 401 for %s, before reading the body', async (_what, headers) => {
    const response = await app.inject({ method: 'POST', url: '/v1/inbound/shipper/files', headers: { 'x-file-name': 'a.csv', ...headers }, payload: 'x' });
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(response.json()).toMatchObject({ status: 401, code: 'INVALID_TOKEN' });
  });

  it('answers an unknown customer exactly like a wrong token', async () => {
    const unknown = await app.inject({ method: 'POST', url: '/v1/inbound/nobody/files', headers: { ...auth(SHIPPER_TOKEN), 'x-file-name': 'a.csv' }, payload: 'x' });
    const wrong = await app.inject({ method: 'POST', url: '/v1/inbound/shipper/files', headers: { ...auth('wrong-token-0123456789abcdef'), 'x-file-name': 'a.csv' }, payload: 'x' });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json()).toEqual(wrong.json());
    const records = await app.inject({ method: 'POST', url: '/v1/inbound/nobody/records', headers: { ...auth(SHIPPER_TOKEN), 'content-type': 'application/json' }, payload: '{}' });
    expect(records.json()).toEqual(wrong.json());
  });

  it("is 404 for another customer's file, and 401 for a token that is nobody's", async () => {
    const sent = (await upload({}, 'order\nOWN-1\n')).json();
    const asOther = await app.inject({ method: 'GET', url: sent.statusUrl, headers: auth(OTHER_TOKEN) });
    expect(asOther.statusCode).toBe(404);
    expect(asOther.json()).toMatchObject({ code: 'FILE_NOT_FOUND' });
    const missing = await app.inject({ method: 'GET', url: '/v1/inbound/files/20990101-000000-0000000000', headers: auth(OTHER_TOKEN) });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual(asOther.json());
    const results = await app.inject({ method: 'GET', url: `${sent.statusUrl}/results/orders.csv.result.csv`, headers: auth(OTHER_TOKEN) });
    expect(results.statusCode).toBe(404);
    for (const headers of [{}, auth('wrong-token-0123456789abcdef')]) {
      const response = await app.inject({ method: 'GET', url: sent.statusUrl, headers });
      expect(response.statusCode).toBe(401);
    }
  });

  it.each([
    ['a wrong token', 'wrong-token-0123456789abcdef', 401],
    ["another customer's token", OTHER_TOKEN, 404],
  ])('answers %s asking for a file id that does not exist only after a scrypt check, as for one that exists', async (_what, token, status) => {
    const existing = (await upload({}, `order\nEXISTS-${status}\n`)).json().statusUrl as string;
    /** The answer, and whether it had to wait for one of the scrypt slots, all taken just before the request. */
    const answer = async (url: string) => {
      let slotFreed = false;
      const busy = Array.from({ length: MAX_CONCURRENT_SCRYPT }, () => verifyClientSecret('busy', SLOW_HASH).then(() => void (slotFreed = true)));
      const response = await app.inject({ method: 'GET', url, headers: auth(token) });
      const waited = slotFreed;
      await Promise.all(busy);
      return { status: response.statusCode, body: response.json(), waited };
    };
    const forExisting = await answer(existing);
    expect(forExisting).toMatchObject({ status, waited: true });
    expect(await answer('/v1/inbound/files/20990101-000000-0000000000')).toEqual(forExisting);
  });

  it('serves no result before the file is final', async () => {
    const sent = (await upload({}, 'order\nNOTYET-1\n')).json();
    const response = await app.inject({ method: 'GET', url: `${sent.statusUrl}/results/orders.csv.result.csv`, headers: auth(SHIPPER_TOKEN) });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'RESULTS_NOT_READY' });
  });

  it('names a result download with a Content-Disposition that strict parsers read, for any file name', async () => {
    const name = "O'Brien Größe (1)*.csv";
    const sent = (await upload({ 'x-file-name': encodeURIComponent(name) }, 'order\nDISP-1\n')).json();
    await fixture.database.db.query(`UPDATE gateway.files SET state = 'COMPLETED', finished_at = now() WHERE id = $1`, [sent.fileId]);
    const resultName = `${name}.result.csv`;
    mkdirSync(join(fixture.dir, 'results', sent.fileId), { recursive: true });
    writeFileSync(join(fixture.dir, 'results', sent.fileId, resultName), 'order,outcome\nDISP-1,ACCEPTED\n');
    const status = (await app.inject({ method: 'GET', url: sent.statusUrl, headers: auth(SHIPPER_TOKEN) })).json();
    const response = await app.inject({ method: 'GET', url: status.results[0].url, headers: auth(SHIPPER_TOKEN) });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    // RFC 6266/8187: filename is a quoted ASCII string, filename* an ext-value of attr-chars and %XX only.
    const disposition = /^attachment; filename="([\x20-\x21\x23-\x5b\x5d-\x7e]*)"; filename\*=UTF-8''([A-Za-z0-9!#$&+.^_`|~%-]+)$/.exec(response.headers['content-disposition'] as string);
    expect(disposition).not.toBeNull();
    expect(decodeURIComponent(disposition![2]!)).toBe(resultName);
    expect(disposition![1]).toBe("O'Brien Gr__e (1)*.csv.result.csv");
  });

  it('serves the result of a file whose name is the longest kept (200 bytes of UTF-8), though the name in its link is over 600 characters', async () => {
    const name = `${'ä'.repeat(98)}.csv`;
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(200);
    const sent = (await upload({ 'x-file-name': encodeURIComponent(name) }, 'order\nLONG-1\n')).json();
    await fixture.database.db.query(`UPDATE gateway.files SET state = 'COMPLETED', finished_at = now() WHERE id = $1`, [sent.fileId]);
    mkdirSync(join(fixture.dir, 'results', sent.fileId), { recursive: true });
    const resultName = `${name}.${sent.fileId}.result.csv`;
    writeFileSync(join(fixture.dir, 'results', sent.fileId, resultName), 'order,outcome\nLONG-1,ACCEPTED\n');
    const status = (await app.inject({ method: 'GET', url: sent.statusUrl, headers: auth(SHIPPER_TOKEN) })).json();
    expect(status.results[0].url).toContain(encodeURIComponent(resultName));
    expect(encodeURIComponent(resultName).length).toBeGreaterThan(600);
    const response = await app.inject({ method: 'GET', url: status.results[0].url, headers: auth(SHIPPER_TOKEN) });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('order,outcome\nLONG-1,ACCEPTED\n');
  });

  it('is 400 for an empty body, with nothing spooled', async () => {
    const before = spooledFiles().length;
    const declared = await upload({}, '');
    expect(declared.statusCode).toBe(400);
    expect(declared.json()).toMatchObject({ code: 'EMPTY_BODY' });
    const streamed = await upload({}, Readable.from([Buffer.alloc(0)]));
    expect(streamed.statusCode).toBe(400);
    expect(streamed.json()).toMatchObject({ code: 'EMPTY_BODY' });
    expect(spooledFiles().length).toBe(before);
  });

  it('is 400 without a file name', async () => {
    const response = await app.inject({ method: 'POST', url: '/v1/inbound/shipper/files', headers: auth(SHIPPER_TOKEN), payload: 'x' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'MISSING_FILE_NAME' });
  });

  it('is 413 for a declared Content-Length over the limit, and for a streamed body that grows past it, with nothing spooled', async () => {
    const before = spooledFiles().length;
    const declared = await upload({}, Buffer.alloc(1001, 0x41));
    expect(declared.statusCode).toBe(413);
    expect(declared.json()).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    // No Content-Length: the limit is enforced while the bytes stream into the spool.
    const streamed = await upload({}, Readable.from((function* () {
      for (let i = 0; i < 30; i++) yield Buffer.alloc(100, 0x42);
    })()));
    expect(streamed.statusCode).toBe(413);
    expect(streamed.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(spooledFiles().length).toBe(before);
    expect(spooledFiles().some((name) => name.endsWith('.partial'))).toBe(false);
  });

  it('is 413 over a real connection too, and the client reads the problem', async () => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address() as { port: number };
    const response = await fetch(`http://127.0.0.1:${address.port}/v1/inbound/shipper/files`, {
      method: 'POST',
      headers: { ...auth(SHIPPER_TOKEN), 'x-file-name': 'big.csv' },
      body: Readable.toWeb(Readable.from((function* () {
        for (let i = 0; i < 30; i++) yield Buffer.alloc(100, 0x43);
      })())) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('is 415 on /records for anything but JSON or NDJSON, and 400 for records that are not JSON objects', async () => {
    const post = (contentType: string | undefined, payload: string) =>
      app.inject({ method: 'POST', url: '/v1/inbound/shipper/records', headers: { ...auth(SHIPPER_TOKEN), ...(contentType ? { 'content-type': contentType } : {}) }, payload });
    const csv = await post('text/csv', 'a,b\n');
    expect(csv.statusCode).toBe(415);
    expect(csv.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect((await post(undefined, '{}')).statusCode).toBe(415);
    const malformed = await post('application/json', '{"order": ');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ code: 'INVALID_RECORDS' });
    expect(malformed.json().detail).toMatch(/not valid JSON/);
    const badLine = await post('application/x-ndjson', '{"order":"1"}\nnot json\n');
    expect(badLine.json()).toMatchObject({ code: 'INVALID_RECORDS' });
    expect(badLine.json().detail).toMatch(/line 2/);
    expect((await post('application/json', '')).json()).toMatchObject({ code: 'EMPTY_BODY' });
    expect((await post('application/json', JSON.stringify([{ pad: 'x'.repeat(600) }]))).statusCode).toBe(413);
  });

  it('is 400 on /records for a body that is not UTF-8, naming the line, with nothing spooled', async () => {
    const before = spooledFiles().length;
    const post = (contentType: string, payload: Buffer) => app.inject({ method: 'POST', url: '/v1/inbound/shipper/records', headers: { ...auth(SHIPPER_TOKEN), 'content-type': contentType }, payload });
    const latin1 = await post('application/json', Buffer.from('{"name":"Müller"}', 'latin1'));
    expect(latin1.statusCode).toBe(400);
    expect(latin1.json()).toMatchObject({ code: 'INVALID_RECORDS' });
    expect(latin1.json().detail).toMatch(/not valid UTF-8/);
    const ndjson = await post('application/x-ndjson', Buffer.concat([Buffer.from('{"name":"Meyer"}\n'), Buffer.from('{"name":"Müller"}\n', 'latin1')]));
    expect(ndjson.statusCode).toBe(400);
    expect(ndjson.json().detail).toMatch(/line 2 is not valid UTF-8/);
    expect(spooledFiles().length).toBe(before);
    // A U+FFFD the feed really holds is UTF-8 like any other character.
    expect((await post('application/json', Buffer.from('{"name":"M\uFFFDller"}', 'utf8'))).statusCode).toBe(202);
  });

  it('is 400 on /records for JSON nested deeper than the pipeline reads (JSON or NDJSON), rather than 202 and a REJECTED file', async () => {
    const before = spooledFiles().length;
    const deep = `{"order":"D-1","x":${'['.repeat(101)}${']'.repeat(101)}}`;
    const post = (contentType: string, payload: string) => app.inject({ method: 'POST', url: '/v1/inbound/shipper/records', headers: { ...auth(SHIPPER_TOKEN), 'content-type': contentType }, payload });
    for (const [contentType, payload, where] of [['application/json', deep, /^the body/], ['application/json', `[${deep}]`, /^the body/], ['application/x-ndjson', `{"order":"D-0"}\n${deep}\n`, /^line 2/]] as const) {
      const response = await post(contentType, payload);
      expect(response.statusCode, payload).toBe(400);
      expect(response.json()).toMatchObject({ code: 'INVALID_RECORDS', detail: expect.stringMatching(where) });
      expect(response.json().detail).toMatch(/levels deep/);
    }
    expect(spooledFiles().length).toBe(before);
    const shallow = `{"order":"D-2","x":${'['.repeat(90)}${']'.repeat(90)}}`;
    expect((await post('application/json', shallow)).statusCode).toBe(202);
  });

  it('spools records as a .json file named by X-File-Name or by the time', async () => {
    const named = await app.inject({
      method: 'POST',
      url: '/v1/inbound/shipper/records',
      headers: { ...auth(SHIPPER_TOKEN), 'content-type': 'application/json; charset=utf-8', 'x-file-name': 'feed-7' },
      payload: '{"order":"R-1"}',
    });
    expect(named.statusCode).toBe(202);
    const status = await app.inject({ method: 'GET', url: named.headers.location as string, headers: auth(SHIPPER_TOKEN) });
    expect(status.json().name).toBe('feed-7.json');
    const unnamed = await app.inject({ method: 'POST', url: '/v1/inbound/shipper/records', headers: { ...auth(SHIPPER_TOKEN), 'content-type': 'application/x-ndjson' }, payload: '{"order":"R-2"}\n' });
    const unnamedStatus = await app.inject({ method: 'GET', url: unnamed.headers.location as string, headers: auth(SHIPPER_TOKEN) });
    expect(unnamedStatus.json().name).toMatch(/^records-\d{8}T\d{6}Z\.json$/);
  });

  it('serves its OpenAPI document without a token', async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/inbound/openapi.json' });
    expect(response.statusCode).toBe(200);
    const doc = response.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(['/v1/inbound/{customer}/files', '/v1/inbound/{customer}/records', '/v1/inbound/files/{id}', '/v1/inbound/files/{id}/results/{name}']);
    expect(doc.components.schemas.FileStatus.properties.documents).toBeDefined();
    expect(doc.components.schemas.CallbackPayload.properties.fileId).toBeDefined();
    expect(doc.webhooks.fileFinished.post.parameters[0].name).toBe('X-Intake-Signature');
  });

  it('leaves the ops API and its token as they were', async () => {
    expect((await app.inject({ method: 'GET', url: '/ops/files', headers: auth(SHIPPER_TOKEN) })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/ops/files', headers: auth('ops-token-0123456789') })).statusCode).toBe(200);
  });
});

describe('HTTP intake: our side down', () => {
  let fixture: IntakeApp;
  beforeAll(async () => {
    const customers: Record<string, HttpCustomer> = { shipper: { customer: 'shipper', tokenHashes: [await hashClientSecret(SHIPPER_TOKEN)], tokens: [] } };
    const storeDown = { receive: async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')) } as unknown as Inbox;
    fixture = await startIntakeApp(customers, { inbox: storeDown });
  });
  afterAll(async () => fixture?.close());

  it('answers 503 NOT_RECEIVED with Retry-After, not a bare 500, when the inbox cannot take the file (the store down, the disk full)', async () => {
    const response = await fixture.app.inject({
      method: 'POST',
      url: '/v1/inbound/shipper/files',
      headers: { authorization: `Bearer ${SHIPPER_TOKEN}`, 'content-type': 'text/csv', 'x-file-name': 'o.csv' },
      payload: 'a,b\n',
    });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('60');
    expect(response.json()).toMatchObject({ code: 'NOT_RECEIVED', detail: expect.stringContaining('problem on our side') });
    expect(response.body).not.toContain('ECONNREFUSED');
  });
});
