import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEngineApp } from '../../../src/engine/http/engine-app.ts';
import { silentLogger } from '../../../src/log/logger.ts';
import type { Db } from '../../../src/store/db.ts';
import { STORE_KINDS } from '../../support/stores.ts';
import { createEngineFixture, exampleOneDocument, expectProblem, TEST_JWT_SECRET, type EngineFixture } from './engine-app-fixture.ts';

describe.each(STORE_KINDS)('operations on %s', (kind) => {
  let f: EngineFixture;
  beforeAll(async () => {
    f = await createEngineFixture(kind);
  });
  afterAll(async () => f?.close());

  it('GET /healthz needs no token and answers 200 while the store answers', async () => {
    const response = await f.app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('an unknown route is 404 ROUTE_NOT_FOUND and a known path with another method 405, both as problems', async () => {
    const notFound = expectProblem(await f.app.inject({ method: 'GET', url: '/documents' }), 404, 'ROUTE_NOT_FOUND');
    expect(notFound.detail).toBe('There is no GET /documents.');
    const notAllowed = await f.app.inject({ method: 'GET', url: '/v1/documents' });
    expectProblem(notAllowed, 405, 'METHOD_NOT_ALLOWED');
    expect(notAllowed.headers.allow).toBe('POST');
    expectProblem(await f.app.inject({ method: 'DELETE', url: '/v1/shipments/12' }), 405, 'METHOD_NOT_ALLOWED');
  });

  it('a URL fastify cannot decode is 400 BAD_URL, still with a Correlation-Id', async () => {
    const response = await f.app.inject({ method: 'GET', url: '/v1/shipments/%zz', headers: { 'correlation-id': 'bad-url' } });
    expectProblem(response, 400, 'BAD_URL');
    expect(response.headers['correlation-id']).toBe('bad-url');
  });
});

describe('the app without a store', () => {
  const failingDb = {
    kind: 'pglite',
    query: async () => {
      throw new Error('connection refused to 10.0.0.7:5432 (password=hunter2)');
    },
    transaction: async () => {
      throw new Error('connection refused');
    },
    exec: async () => undefined,
    close: async () => undefined,
  } as unknown as Db;
  const app = buildEngineApp({ db: failingDb, logger: silentLogger, jwtSecret: TEST_JWT_SECRET, tokenTtlSeconds: 3600, bodyLimitBytes: 65536 });
  app.get('/boom', async () => {
    throw new Error('internal detail: SELECT * FROM secrets');
  });
  afterAll(async () => app.close());

  it('GET /healthz is 503 STORE_UNAVAILABLE when the store fails', async () => {
    const body = expectProblem(await app.inject({ method: 'GET', url: '/healthz' }), 503, 'STORE_UNAVAILABLE');
    expect(JSON.stringify(body)).not.toContain('10.0.0.7');
  });

  it('an unexpected error is 500 INTERNAL_ERROR without internals', async () => {
    const response = await app.inject({ method: 'GET', url: '/boom', headers: { 'correlation-id': 'boom-1' } });
    const body = expectProblem(response, 500, 'INTERNAL_ERROR');
    expect(response.body).not.toContain('SELECT');
    expect(body.detail).toContain('Correlation-Id');
    expect(response.headers['correlation-id']).toBe('boom-1');
  });

  it('a store failure during a token request is 500 without the driver\'s message', async () => {
    const response = await app.inject({ method: 'POST', url: '/oauth/token', payload: { grant_type: 'client_credentials', client_id: 'a', client_secret: 'b' } });
    expectProblem(response, 500, 'INTERNAL_ERROR');
    expect(response.body).not.toContain('hunter2');
  });
});

describe('OpenAPI and Swagger UI', () => {
  let f: EngineFixture;
  beforeAll(async () => {
    f = await createEngineFixture('pglite');
  });
  afterAll(async () => f?.close());

  it('/v1/openapi.json is OpenAPI 3.1 with /v1/documents, the guide\'s examples and the zod-generated schemas', async () => {
    const response = await f.app.inject({ method: 'GET', url: '/v1/openapi.json' });
    expect(response.statusCode).toBe(200);
    const spec = JSON.parse(response.body);
    expect(spec.openapi).toBe('3.1.0');
    const post = spec.paths['/v1/documents'].post;
    expect(Object.keys(post.responses).sort()).toEqual(['200', '201', '400', '401', '403', '404', '409', '413', '415', '422', '500']);
    expect(Object.keys(post.requestBody.content)).toEqual(['application/json', 'application/xml', 'text/xml']);
    const examples = post.requestBody.content['application/json'].examples;
    expect(Object.keys(examples)).toHaveLength(5);
    expect(examples.createOutboundOrder.value.items).toHaveLength(5);
    expect(post.requestBody.content['application/xml'].examples.appendItem.value).toContain('<orderItemUpdateStrategy>APPEND</orderItemUpdateStrategy>');
    expect(post.responses['401'].content['application/problem+json'].example.detail).toBe('Missing or invalid bearer token.');
    const document = spec.components.schemas.Document;
    expect(document.required).toEqual(['orderNumber', 'business', 'facility', 'direction']);
    expect(document.properties.direction.enum).toEqual(['INBOUND', 'OUTBOUND']);
    expect(document.properties.items.items).toEqual({ $ref: '#/components/schemas/Item' });
    expect(spec.components.schemas.Problem.required).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'code']));
    // Every $ref points at something that exists.
    const refs = [...response.body.matchAll(/"\$ref":"#\/components\/(\w+)\/([\w-]+)"/g)];
    for (const [, group, name] of refs) expect(spec.components[group!]?.[name!], `${group}/${name}`).toBeDefined();
    for (const example of Object.values(examples) as { value: unknown }[]) {
      const applied = await f.postDocument(example.value);
      expect([200, 201, 409]).toContain(applied.statusCode);
    }
  });

  it('Swagger UI is served at /v1/docs/', async () => {
    const page = await f.app.inject({ method: 'GET', url: '/v1/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('swagger');
    expect((await f.app.inject({ method: 'GET', url: '/v1/docs/static/swagger-ui-bundle.js' })).statusCode).toBe(200);
    expect((await f.app.inject({ method: 'GET', url: '/v1/docs/static/swagger-initializer.js' })).statusCode).toBe(200);
    const json = await f.app.inject({ method: 'GET', url: '/v1/docs/json' });
    expect(json.json().paths['/v1/documents']).toBeDefined();
  });
});

describe('request logging', () => {
  it('one line per request with correlationId, status and latency, and never the Authorization header', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const f = await createEngineFixture('pglite', { logger: pino({ level: 'info' }, sink) });
    try {
      const token = await f.token();
      lines.length = 0;
      await f.postDocument(exampleOneDocument(), { 'correlation-id': 'log-1' });
      await f.app.inject({ method: 'POST', url: '/v1/documents', headers: { authorization: 'Bearer not-a-token', 'correlation-id': 'log-2' }, payload: {} });
      const completed = lines.filter((line) => line.msg === 'request completed');
      expect(completed).toHaveLength(2);
      expect(completed[0]).toMatchObject({ correlationId: 'log-1', status: 201, method: 'POST', url: '/v1/documents', clientId: 'demo-client' });
      expect(typeof completed[0]?.latencyMs).toBe('number');
      expect(completed[1]).toMatchObject({ correlationId: 'log-2', status: 401 });
      const all = JSON.stringify(lines);
      expect(all).not.toContain(token);
      expect(all).not.toContain('not-a-token');
      expect(all).not.toContain('demo-secret');
    } finally {
      await f.close();
    }
  });
});
