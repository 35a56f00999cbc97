import { gzipSync } from 'node:zlib';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient } from '../../../src/engine/auth/api-clients.ts';
import { renderDocumentXml } from '../../../src/engine/http/xml-document.ts';
import { STORE_KINDS } from '../../support/stores.ts';
import { createEngineFixture, exampleOneDocument, expectProblem, TEST_JWT_SECRET, type EngineFixture } from './engine-app-fixture.ts';

const GUIDE_401 = { type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'Missing or invalid bearer token.' };

describe.each(STORE_KINDS)('POST /v1/documents on %s', (kind) => {
  let f: EngineFixture;
  beforeAll(async () => {
    f = await createEngineFixture(kind);
  });
  afterAll(async () => f?.close());

  const post = (headers: Record<string, string>, payload: string | Buffer) => f.app.inject({ method: 'POST', url: '/v1/documents', headers, payload });

  describe('authentication', () => {
    it('no token is 401 MISSING_TOKEN with the guide\'s body', async () => {
      const response = await post({ 'content-type': 'application/json' }, JSON.stringify(exampleOneDocument()));
      expect(expectProblem(response, 401, 'MISSING_TOKEN')).toEqual({ ...GUIDE_401, code: 'MISSING_TOKEN' });
      expect(response.headers['www-authenticate']).toBe('Bearer realm="engine"');
    });

    it('an expired token is 401 EXPIRED_TOKEN', async () => {
      const token = await f.token();
      f.clock.advance(3601_000);
      try {
        const response = await post({ authorization: `Bearer ${token}`, 'content-type': 'application/json' }, JSON.stringify(exampleOneDocument()));
        expect(expectProblem(response, 401, 'EXPIRED_TOKEN')).toEqual({ ...GUIDE_401, code: 'EXPIRED_TOKEN' });
      } finally {
        f.clock.advance(-3601_000);
      }
    });

    it('a garbage, wrongly signed, alg:none or HS512 token is 401 INVALID_TOKEN', async () => {
      const iat = Math.floor(f.clock.now.getTime() / 1000);
      const claims = { grants: [{ business: 'kargo' }] };
      const key = new TextEncoder().encode(TEST_JWT_SECRET);
      const tokens = [
        'garbage',
        new UnsecuredJWT(claims).setSubject('demo-client').setIssuedAt(iat).setExpirationTime(iat + 60).encode(),
        await new SignJWT(claims).setProtectedHeader({ alg: 'HS512' }).setSubject('demo-client').setIssuedAt(iat).setExpirationTime(iat + 60).sign(key),
        await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('demo-client').setIssuedAt(iat).setExpirationTime(iat + 60).sign(new TextEncoder().encode('another-key-another-key-another-key')),
      ];
      for (const token of tokens) {
        const response = await post({ authorization: `Bearer ${token}`, 'content-type': 'application/json' }, JSON.stringify(exampleOneDocument()));
        expect(expectProblem(response, 401, 'INVALID_TOKEN')).toEqual({ ...GUIDE_401, code: 'INVALID_TOKEN' });
      }
      expectProblem(await post({ authorization: 'Basic ZGVtbzpkZW1v', 'content-type': 'application/json' }, '{}'), 401, 'INVALID_TOKEN');
    });

    it('a bad token is 401 before the body is looked at: malformed, oversized or of an unsupported type', async () => {
      expectProblem(await post({ 'content-type': 'application/json' }, '{not json'), 401, 'MISSING_TOKEN');
      expectProblem(await post({ 'content-type': 'application/json' }, Buffer.alloc(200 * 1024, 0x20)), 401, 'MISSING_TOKEN');
      expectProblem(await post({ 'content-type': 'text/plain' }, 'hello'), 401, 'MISSING_TOKEN');
      expectProblem(await post({ 'content-type': 'application/xml' }, '<!DOCTYPE x [<!ENTITY a "b">]><document/>'), 401, 'MISSING_TOKEN');
    });
  });

  describe('grants', () => {
    it('a business that exists but the token lacks is 403 FORBIDDEN_BUSINESS; one that exists nowhere is the guide\'s 404 for any client', async () => {
      const acme = await f.token('acme-client');
      const send = (business: string, facility = 'sf') =>
        post({ authorization: `Bearer ${acme}`, 'content-type': 'application/json' }, JSON.stringify(exampleOneDocument({ business, facility })));
      expectProblem(await send('kargo'), 403, 'FORBIDDEN_BUSINESS');
      expectProblem(await send('kargo', 'no-such-facility'), 403, 'FORBIDDEN_BUSINESS');
      expectProblem(await send('no-such-business'), 404, 'BUSINESS_NOT_FOUND');
    });

    it('a facility that exists but the token lacks is 403 FORBIDDEN_FACILITY; one its business does not have is 404', async () => {
      const acme = await f.token('acme-client');
      const send = (facility: string) =>
        post({ authorization: `Bearer ${acme}`, 'content-type': 'application/json' }, JSON.stringify(exampleOneDocument({ business: 'acme', facility })));
      expectProblem(await send('sf'), 404, 'FACILITY_NOT_FOUND'); // sf is kargo's, not acme's
      await f.db.query(`INSERT INTO engine.facilities (business_id, slug) SELECT id, 'la' FROM engine.businesses WHERE slug = 'acme' ON CONFLICT DO NOTHING`);
      expectProblem(await send('la'), 403, 'FORBIDDEN_FACILITY');
    });

    it('a granted but unknown business or facility is 404', async () => {
      await createApiClient(f.db, { clientId: 'ghost-client', secret: 'ghost-secret', grants: [{ business: 'ghost' }] });
      const ghost = await f.token('ghost-client', 'ghost-secret');
      const noBusiness = await post({ authorization: `Bearer ${ghost}`, 'content-type': 'application/json' }, JSON.stringify(exampleOneDocument({ business: 'ghost' })));
      expect(noBusiness.statusCode).toBe(404);
      expect(noBusiness.headers['content-type']).toMatch(/^application\/problem\+json/);
      const noFacility = await f.postDocument(exampleOneDocument({ facility: 'no-such-facility' }));
      expect(noFacility.statusCode).toBe(404);
      expect(noFacility.json().code).not.toBe(noBusiness.json().code);
    });
  });

  describe('bodies', () => {
    it('an unsupported Content-Type is 415 UNSUPPORTED_MEDIA_TYPE', async () => {
      const token = await f.token();
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/json-patch+json']) {
        const body = expectProblem(await post({ authorization: `Bearer ${token}`, 'content-type': type }, 'x=1'), 415, 'UNSUPPORTED_MEDIA_TYPE');
        expect(body.detail).toContain('application/json, application/xml, or text/xml');
      }
      expectProblem(await post({ authorization: `Bearer ${token}` }, '{}'), 415, 'UNSUPPORTED_MEDIA_TYPE');
      expectProblem(await post({ authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=klingon' }, '{}'), 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('a compressed body (Content-Encoding gzip) is 415 UNSUPPORTED_MEDIA_TYPE, not a malformed 400; identity is the body as sent', async () => {
      const token = await f.token();
      const doc = JSON.stringify(exampleOneDocument({ orderNumber: 'CODING-1', shipmentNumber: 'CODING-1' }));
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const gzipped = expectProblem(await post({ ...headers, 'content-encoding': 'gzip' }, gzipSync(doc)), 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(gzipped.detail).toMatch(/Content-Encoding "gzip"/);
      expect((await post({ ...headers, 'content-encoding': 'identity' }, doc)).statusCode).toBe(201);
    });

    it('a body over the limit is 413 PAYLOAD_TOO_LARGE as problem+json', async () => {
      const big = exampleOneDocument({ destination: 'x'.repeat(65 * 1024) });
      const body = expectProblem(await f.postDocument(big), 413, 'PAYLOAD_TOO_LARGE');
      expect(body.detail).toContain('65536 bytes');
    });

    it('malformed JSON, an empty body and a non-object are 400', async () => {
      expect(expectProblem(await f.postDocument('{"orderNumber": '), 400, 'MALFORMED_BODY').detail).toMatch(/not valid JSON/);
      expectProblem(await f.postDocument(''), 400, 'MALFORMED_BODY');
      expect((await f.postDocument('[1,2]')).statusCode).toBe(400);
      expectProblem(await f.postDocument('{"__proto__": {"x": 1}}'), 400, 'MALFORMED_BODY');
    });

    it('a wrong field type is 400 and a bad enum value 422, from the shared validation', async () => {
      expect((await f.postDocument(exampleOneDocument({ orderNumber: 42 }))).statusCode).toBe(400);
      expect((await f.postDocument(exampleOneDocument({ direction: 'SIDEWAYS' }))).statusCode).toBe(422);
    });

    it('a JSON null is 400 saying what the body must be; a __proto__ key spelt with \\u escapes is refused like the plain one', async () => {
      expect(expectProblem(await f.postDocument('null'), 400, 'MALFORMED_BODY').detail).toMatch(/must be a JSON object/);
      const escaped = JSON.stringify(exampleOneDocument({ additionalFields: { a: 'b' } })).replace('"a":"b"', '"\\u005f_proto__":"z","a":"b"');
      expect(escaped).toContain('\\u005f_proto__');
      expect(expectProblem(await f.postDocument(escaped), 400, 'MALFORMED_BODY').detail).toMatch(/__proto__/);
    });

    it('text the store cannot hold and instants it cannot print are refused (422) before anything is written, never a 500', async () => {
      const refused = [
        exampleOneDocument({ orderNumber: 'UNSTORABLE-1', trailerNumber: 'A\u0000B' }),
        exampleOneDocument({ orderNumber: 'UNSTORABLE-2', additionalFields: { 'k\u0000': 'v' } }),
        exampleOneDocument({ orderNumber: 'UNSTORABLE-3', items: [{ lpn: 'A\ud800', sku: 'S', quantity: 1, quantityUnit: 'CASE' }] }),
        exampleOneDocument({ orderNumber: 'UNSTORABLE-4', expectedArrivalAt: '9999-12-31T23:59:59-00:01' }),
        exampleOneDocument({ orderNumber: 'UNSTORABLE-5', expectedArrivalAt: '0000-06-01T00:00:00Z' }),
      ];
      for (const doc of refused) expectProblem(await f.postDocument(doc), 422, 'INVALID_FIELD');
      const { rows } = await f.db.query<{ n: number }>("SELECT count(*)::int AS n FROM engine.orders WHERE order_number LIKE 'UNSTORABLE-%'");
      expect(rows[0]?.n).toBe(0);
    });

    it('JSON with a charset parameter is accepted', async () => {
      const response = await f.postDocument(exampleOneDocument({ orderNumber: 'CHARSET-1', shipmentNumber: 'CHARSET-1' }), { 'content-type': 'application/json; charset=UTF-8' });
      expect(response.statusCode).toBe(201);
    });
  });

  describe('XML', () => {
    const xmlPost = async (xml: string, type = 'application/xml') => post({ authorization: `Bearer ${await f.token()}`, 'content-type': type }, xml);

    it('the same document as XML gets the same answer as JSON', async () => {
      const json = await f.postDocument(exampleOneDocument({ orderNumber: 'XML-VS-JSON-J', shipmentNumber: 'XML-VS-JSON-J' }));
      const xml = await xmlPost(renderDocumentXml(exampleOneDocument({ orderNumber: 'XML-VS-JSON-X', shipmentNumber: 'XML-VS-JSON-X' })), 'text/xml; charset=utf-8');
      expect(xml.statusCode).toBe(json.statusCode);
      const strip = (body: Record<string, unknown>) => JSON.parse(JSON.stringify(body).replace(/XML-VS-JSON-[JX]/g, 'N').replace(/"id":"?\d+"?/g, '"id":0').replace(/"[a-zA-Z]*At":"[^"]*"/g, '"at":""'));
      expect(strip(xml.json())).toEqual(strip(json.json()));
      expect(xml.json().shipment.orders[0].items.map((item: { lpn: string; quantity: number }) => [item.lpn, item.quantity])).toEqual([
        ['LPNABC', 10],
        ['LPNABC', 8],
        ['LPNDEF', 12],
        ['LPNGHI', 6],
        ['LPNJKL', 15],
      ]);
    });

    it('additional fields named like JavaScript\'s own properties (constructor, toString, ...) are stored as named, as in JSON', async () => {
      const names = ['constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__lookupGetter__'];
      const fields = Object.fromEntries(names.map((name, index) => [name, `v${index}`]));
      const json = await f.postDocument(exampleOneDocument({ orderNumber: 'XML-NAMES-J', shipmentNumber: 'XML-NAMES-J', additionalFields: fields }));
      const xml = await xmlPost(renderDocumentXml(exampleOneDocument({ orderNumber: 'XML-NAMES-X', shipmentNumber: 'XML-NAMES-X', additionalFields: fields })));
      expect(json.statusCode).toBe(201);
      expect(xml.statusCode).toBe(201);
      expect(json.json().shipment.additionalFields).toMatchObject(fields);
      expect(xml.json().shipment.additionalFields).toEqual(json.json().shipment.additionalFields);
    });

    it('one <item> is still a list, and typed fields are coerced', async () => {
      const xml = `<?xml version="1.0"?>
        <document>
          <orderNumber>XML-ONE</orderNumber><business>kargo</business><facility>sf</facility><direction>INBOUND</direction>
          <items><item><lpn>L1</lpn><sku>S1</sku><quantity>2.5</quantity><quantityUnit>KG</quantityUnit>
            <isDangerousGood>true</isDangerousGood><caseSerials><serial>C1</serial></caseSerials></item></items>
        </document>`;
      const response = await xmlPost(xml);
      expect(response.statusCode).toBe(201);
      const item = response.json().shipment.orders[0].items[0];
      expect(item).toMatchObject({ lpn: 'L1', sku: 'S1', quantity: 2.5, quantityUnit: 'KG', isDangerousGood: true, caseSerials: ['C1'] });
    });

    it('malformed XML is 400 MALFORMED_BODY', async () => {
      expect(expectProblem(await xmlPost('<document><orderNumber>A</business></document>'), 400, 'MALFORMED_BODY').detail).toMatch(/line 1/);
      expectProblem(await xmlPost('<order><orderNumber>A</orderNumber></order>'), 400, 'MALFORMED_BODY');
    });

    it('character references are stored decoded; an entity XML does not define is 400 and nothing is written', async () => {
      const doc = (order: string, trailer: string) =>
        `<document><orderNumber>${order}</orderNumber><business>kargo</business><facility>sf</facility><direction>INBOUND</direction><trailerNumber>${trailer}</trailerNumber></document>`;
      const stored = await xmlPost(doc('XML-REFS-1', 'Caf&#233; &#x1F69A; &amp;#65;'));
      expect(stored.statusCode).toBe(201);
      const shipment = (await f.app.inject({ method: 'GET', url: `/v1/shipments/${stored.json().shipment.id}`, headers: { authorization: `Bearer ${await f.token()}` } })).json();
      expect(shipment.trailerNumber).toBe('Café 🚚 &#65;');
      expect(expectProblem(await xmlPost(doc('XML-REFS-2', 'A&lol;')), 400, 'MALFORMED_BODY').detail).toContain('"&lol;"');
      const { rows } = await f.db.query<{ n: number }>("SELECT count(*)::int AS n FROM engine.orders WHERE order_number = 'XML-REFS-2'");
      expect(rows[0]?.n).toBe(0);
    });

    it('without a charset parameter, the XML declaration\'s encoding decodes the body (RFC 7303); the parameter wins over it', async () => {
      const doc = (order: string) =>
        `<?xml version="1.0" encoding="ISO-8859-1"?><document><orderNumber>${order}</orderNumber><business>kargo</business><facility>sf</facility><direction>INBOUND</direction><consigneeName>M\u00fcller</consigneeName></document>`;
      const declared = await post({ authorization: `Bearer ${await f.token()}`, 'content-type': 'application/xml' }, Buffer.from(doc('XML-LATIN1-1'), 'latin1'));
      expect(declared.statusCode).toBe(201);
      expect(declared.json().shipment.orders[0].consigneeName).toBe('Müller');
      const overridden = await post({ authorization: `Bearer ${await f.token()}`, 'content-type': 'application/xml; charset=utf-8' }, Buffer.from(doc('XML-LATIN1-2'), 'latin1'));
      expect(expectProblem(overridden, 400, 'MALFORMED_BODY').detail).toMatch(/not valid utf-8/);
    });

    it('a UTF-16 XML document (byte order mark, encoding="UTF-16") without a charset parameter is read as UTF-16, in either byte order', async () => {
      const doc = (order: string) =>
        `<?xml version="1.0" encoding="UTF-16"?><document><orderNumber>${order}</orderNumber><business>kargo</business><facility>sf</facility><direction>INBOUND</direction><consigneeName>M\u00fcller</consigneeName></document>`;
      const littleEndian = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(doc('XML-UTF16-LE'), 'utf16le')]);
      const bigEndian = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(doc('XML-UTF16-BE'), 'utf16le').swap16()]);
      for (const [body, order] of [[littleEndian, 'XML-UTF16-LE'], [bigEndian, 'XML-UTF16-BE']] as const) {
        const response = await post({ authorization: `Bearer ${await f.token()}`, 'content-type': 'application/xml' }, body);
        expect(response.statusCode, response.body).toBe(201);
        expect(response.json().shipment.orders[0]).toMatchObject({ orderNumber: order, consigneeName: 'Müller' });
      }
    });

    it('non-numeric text in a number field is 400 from validation', async () => {
      const xml = renderDocumentXml(exampleOneDocument({ items: [{ lpn: 'A', sku: 'B', quantity: 'ten', quantityUnit: 'CASE' }] }));
      expect((await xmlPost(xml)).statusCode).toBe(400);
    });

    it('a DOCTYPE or entity declaration (billion laughs, XXE) is refused before parsing', async () => {
      const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><document><orderNumber>&lol2;</orderNumber></document>`;
      const xxe = `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><document><orderNumber>&x;</orderNumber></document>`;
      for (const xml of [bomb, xxe, '<!doctype document><document/>']) expectProblem(await xmlPost(xml), 400, 'XML_DOCTYPE_FORBIDDEN');
    });
  });

  describe('Correlation-Id', () => {
    it('is echoed when supplied, on success and on errors', async () => {
      const ok = await f.postDocument(exampleOneDocument({ orderNumber: 'CORR-1', shipmentNumber: 'CORR-1' }), { 'correlation-id': 'trace-123' });
      expect(ok.headers['correlation-id']).toBe('trace-123');
      const unauthorized = await post({ 'content-type': 'application/json', 'correlation-id': 'trace-401' }, '{}');
      expect(unauthorized.statusCode).toBe(401);
      expect(unauthorized.headers['correlation-id']).toBe('trace-401');
      const tooLarge = await f.postDocument('x'.repeat(70_000), { 'correlation-id': 'trace-413' });
      expect(tooLarge.headers['correlation-id']).toBe('trace-413');
      const notFound = await f.app.inject({ method: 'GET', url: '/nowhere', headers: { 'correlation-id': 'trace-404' } });
      expect(notFound.headers['correlation-id']).toBe('trace-404');
    });

    it('is echoed as it is whatever text it holds (guide, section 4), up to 1024 characters', async () => {
      for (const value of ['has space', 'a b<script>', 'x'.repeat(1024), 'caf\u00e9', 'tab\there']) {
        const response = await f.app.inject({ method: 'GET', url: '/healthz', headers: { 'correlation-id': value } });
        expect(response.headers['correlation-id']).toBe(value);
      }
    });

    it('the published Correlation-Id parameter (OpenAPI) says what is echoed: any text up to its maxLength, a UUID beyond', async () => {
      const spec = (await f.app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
      const parameter = spec.components.parameters['Correlation-Id'];
      const maxLength: number = parameter.schema.maxLength;
      expect(parameter.schema.pattern).toBeUndefined();
      const longest = 'trace id: a/b#c '.repeat(Math.ceil(maxLength / 16)).slice(0, maxLength - 1) + 'z';
      const echoed = await f.app.inject({ method: 'GET', url: '/healthz', headers: { 'correlation-id': longest } });
      expect(echoed.headers['correlation-id']).toBe(longest);
      const tooLong = await f.app.inject({ method: 'GET', url: '/healthz', headers: { 'correlation-id': `${longest}z` } });
      expect(tooLong.headers['correlation-id']).not.toBe(`${longest}z`);
      expect(parameter.description).not.toMatch(/A-Z a-z 0-9/);
    });

    it('is generated (a UUID) when absent, blank or over 1024 characters', async () => {
      const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
      const absent = await post({ 'content-type': 'application/json' }, '{}');
      expect(absent.headers['correlation-id']).toMatch(uuid);
      for (const bad of ['x'.repeat(1025), '   ']) {
        const response = await f.app.inject({ method: 'GET', url: '/healthz', headers: { 'correlation-id': bad } });
        expect(response.headers['correlation-id']).toMatch(uuid);
      }
    });
  });
});
