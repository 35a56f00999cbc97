import { GUIDE_REQUEST_EXAMPLES } from '../../src/engine/http/guide-examples.ts';
import { Writable } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DocumentSchema, type Document } from '../../src/documents/document.ts';
import { createEngineClient, type EngineClient, type EngineClientOptions } from '../../src/engine-client/index.ts';
import { createLogger } from '../../src/log/logger.ts';

/**
 * A tiny fastify server plays the engine and its OAuth server. Each test sets `documents` (how POST /v1/documents
 * answers) and may tune the token endpoint; the stub records every request so tests count them.
 */
interface Recorded {
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

const SECRET = 'very-secret-client-secret-1234';

// Guide, section 6: the document and its 201 response, verbatim.
const GUIDE_DOCUMENT: Document = DocumentSchema.parse(GUIDE_REQUEST_EXAMPLES.createOutboundOrder.value);
const GUIDE_201 = `{
"created": [
{ "type": "SHIPMENT", "id": "6463000", "reference": "TEST-EXAMPLE-SHIPMENT-001" },
{ "type": "ORDER", "id": "1268000", "reference": "TEST-EXAMPLE-ORDER-001" },
{ "type": "ORDER_ITEM", "id": "3700001", "reference": "LPNABC" },
{ "type": "ORDER_ITEM", "id": "3700002", "reference": "LPNABC" },
{ "type": "ORDER_ITEM", "id": "3700003", "reference": "LPNDEF" },
{ "type": "ORDER_ITEM", "id": "3700004", "reference": "LPNGHI" },
{ "type": "ORDER_ITEM", "id": "3700005", "reference": "LPNJKL" }
],
"updated": [],
"removed": [],
"shipment": {
"id": 6463000,
"status": "SCHEDULED",
"orders": [
{
"orderNumber": "TEST-EXAMPLE-ORDER-001",
"status": "CREATED",
"items": [
{ "lpn": "LPNABC", "sku": "SKU123", "quantity": 10, "quantityUnit": "CASE", "id": "3700001" },
{ "lpn": "LPNABC", "sku": "SKU456", "quantity": 8, "quantityUnit": "CASE", "id": "3700002" },
{ "lpn": "LPNDEF", "sku": "SKU789", "quantity": 12, "quantityUnit": "CASE", "id": "3700003" },
{ "lpn": "LPNGHI", "sku": "SKU123", "quantity": 6, "quantityUnit": "CASE", "id": "3700004" },
{ "lpn": "LPNJKL", "sku": "SKU999", "quantity": 15, "quantityUnit": "CASE", "id": "3700005" }
]
}
]
}
}`;
// Guide, section 8: MERGE answers 200.
const GUIDE_200 = `{
"created": [],
"updated": [
{ "type": "SHIPMENT", "id": "6463000", "reference": "TEST-EXAMPLE-SHIPMENT-001" },
{ "type": "ORDER", "id": "1268000", "reference": "TEST-EXAMPLE-ORDER-001" },
{ "type": "ORDER_ITEM", "id": "3700006", "reference": "LPNABC" }
],
"removed": [],
"shipment": {
"id": 6463000,
"orders": [
{
"orderNumber": "TEST-EXAMPLE-ORDER-001",
"items": [
{ "lpn": "LPNABC", "sku": "SKU123", "quantity": 5, "quantityUnit": "CASE", "id": "3700006" }
]
}
]
}
}`;
// Guide, section 7: a repeated APPEND.
const GUIDE_409 = `{
"type": "about:blank",
"title": "Conflict",
"status": 409,
"detail": "DUPLICATE_ORDER_ITEM_KEY: lpn=LPNNEW, sku=SKUAPPEND"
}`;

type Handler = (request: FastifyRequest, reply: FastifyReply, attempt: number) => unknown;

let app: FastifyInstance;
let baseUrl: string;
let documentRequests: Recorded[];
let tokenRequests: Recorded[];
let documents: Handler;
let tokenHandler: Handler;
let validTokens: Set<string>;
let issued: number;
let logLines: string[];
let clients: EngineClient[];

const defaultToken: Handler = async (_request, reply) => {
  issued += 1;
  const token = `tok-${issued}`;
  validTokens.add(token);
  return reply.send({ access_token: token, token_type: 'Bearer', expires_in: 3600 });
};

beforeEach(async () => {
  documentRequests = [];
  tokenRequests = [];
  validTokens = new Set();
  issued = 0;
  logLines = [];
  clients = [];
  tokenHandler = defaultToken;
  documents = (_request, reply) => reply.code(201).type('application/json').send(GUIDE_201);
  app = Fastify({ forceCloseConnections: true });
  app.post('/oauth/token', async (request, reply) => {
    tokenRequests.push({ headers: request.headers, body: request.body });
    return tokenHandler(request, reply, tokenRequests.length);
  });
  app.post('/v1/documents', async (request, reply) => {
    documentRequests.push({ headers: request.headers, body: request.body });
    const bearer = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
    if (!bearer || !validTokens.has(bearer)) {
      return reply.code(401).type('application/problem+json').send({ type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'Missing or invalid bearer token.' });
    }
    return documents(request, reply, documentRequests.length);
  });
  baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterEach(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await app.close();
  // Whatever happened in the test, neither the secret nor any issued token reached a log line.
  const all = logLines.join('\n');
  expect(all).not.toContain(SECRET);
  for (const token of validTokens) expect(all).not.toContain(token);
});

function client(overrides: Partial<EngineClientOptions> = {}): EngineClient {
  const destination = new Writable({ write: (chunk, _encoding, done) => (logLines.push(String(chunk)), done()) });
  const made = createEngineClient({
    baseUrl,
    clientId: 'demo-client',
    clientSecret: SECRET,
    audience: 'https://api.kargo.zone/public_graphql',
    timeoutMs: 2_000,
    logger: createLogger({ destination, level: 'trace' }),
    ...overrides,
  });
  clients.push(made);
  return made;
}

const ids = (n = 1) => ({ correlationId: `corr-${n}`, idempotencyKey: `file-1:${n}` });

describe('engine client: outcomes', () => {
  it('201 with the guide response is accepted, with the document, headers and token request the guide describes', async () => {
    const outcome = await client().submitDocument(GUIDE_DOCUMENT, ids());
    expect(outcome).toMatchObject({ kind: 'accepted', status: 201, correlationId: 'corr-1' });
    if (outcome.kind !== 'accepted') throw new Error('unreachable');
    expect(outcome.response.created.map((ref) => ref.id)).toEqual(['6463000', '1268000', '3700001', '3700002', '3700003', '3700004', '3700005']);
    expect(outcome.response.shipment.id).toBe(6463000);
    expect(outcome.response.shipment.orders[0]?.direction).toBe('OUTBOUND');
    // The guide's example omits most response fields; they are filled with its empty defaults, and said so.
    expect(outcome.warnings?.[0]).toMatch(/did not match the documented schema/);

    expect(tokenRequests).toHaveLength(1);
    expect(tokenRequests[0]!.headers['content-type']).toMatch(/application\/json/);
    expect(tokenRequests[0]!.body).toEqual({
      client_id: 'demo-client',
      client_secret: SECRET,
      audience: 'https://api.kargo.zone/public_graphql',
      grant_type: 'client_credentials',
    });
    const sent = documentRequests[0]!;
    expect(sent.headers).toMatchObject({
      authorization: 'Bearer tok-1',
      'correlation-id': 'corr-1',
      'idempotency-key': 'file-1:1',
      'content-type': 'application/json',
    });
    expect(sent.body).toEqual(GUIDE_DOCUMENT);
    // The log assertions in afterEach are not vacuous: the client did log, with the correlation id.
    expect(logLines.join('\n')).toContain('engine token obtained');
    expect(logLines.join('\n')).toContain('"correlationId":"corr-1"');
  });

  it('200 from a MERGE is accepted with the updated ids', async () => {
    documents = (_request, reply) => reply.code(200).type('application/json').send(GUIDE_200);
    const outcome = await client().submitDocument(GUIDE_DOCUMENT, ids());
    expect(outcome.kind).toBe('accepted');
    if (outcome.kind !== 'accepted') throw new Error('unreachable');
    expect(outcome.status).toBe(200);
    expect(outcome.response.updated.map((ref) => `${ref.type} ${ref.id}`)).toEqual(['SHIPMENT 6463000', 'ORDER 1268000', 'ORDER_ITEM 3700006']);
  });

  it('the guide 409 problem is a final rejection with the code taken from its detail', async () => {
    documents = (_request, reply) => reply.code(409).type('application/problem+json').send(GUIDE_409);
    const outcome = await client().submitDocument(GUIDE_DOCUMENT, ids());
    expect(outcome).toEqual({
      kind: 'rejected',
      status: 409,
      correlationId: 'corr-1',
      problem: { type: 'about:blank', title: 'Conflict', status: 409, detail: 'DUPLICATE_ORDER_ITEM_KEY: lpn=LPNNEW, sku=SKUAPPEND', code: 'DUPLICATE_ORDER_ITEM_KEY' },
    });
  });

  it('a 422 problem with a code and field errors keeps both', async () => {
    const problem = { type: 'about:blank', title: 'Unprocessable Entity', status: 422, detail: 'items[0].quantity is required', code: 'MISSING_ITEM_FIELD', errors: [{ path: 'items.0.quantity', message: 'required' }] };
    documents = (_request, reply) => reply.code(422).type('application/problem+json').send(problem);
    const outcome = await client().submitDocument(GUIDE_DOCUMENT, ids());
    expect(outcome).toMatchObject({ kind: 'rejected', status: 422, problem });
  });

  it('a problem without a detail still says why the row was refused: its field errors, a message, else its title', async () => {
    const answers: [number, object][] = [
      [422, { type: 'about:blank', title: 'Unprocessable Entity', status: 422, errors: [{ path: 'items.0.sku', message: 'is required' }, { path: 'direction', message: 'must be INBOUND or OUTBOUND' }] }],
      [409, { title: 'Conflict', status: 409, message: 'shipment SHIP-1 has arrived' }],
      [403, { type: 'about:blank', title: 'Forbidden', status: 403, detail: '' }],
    ];
    documents = (_request, reply) => {
      const [status, body] = answers[documentRequests.length - 1]!;
      return reply.code(status).type('application/problem+json').send(body);
    };
    const engine = client();
    const details: [number, string, string][] = [];
    for (const n of [1, 2, 3]) {
      const outcome = await engine.submitDocument(GUIDE_DOCUMENT, ids(n));
      if (outcome.kind !== 'rejected') throw new Error(`expected a rejection, got ${outcome.kind}`);
      details.push([outcome.status, outcome.problem.code, outcome.problem.detail]);
    }
    expect(details).toEqual([
      [422, 'ENGINE_422', 'items.0.sku: is required; direction: must be INBOUND or OUTBOUND'],
      [409, 'ENGINE_409', 'shipment SHIP-1 has arrived'],
      [403, 'ENGINE_403', 'Forbidden (HTTP 403)'],
    ]);
  });

  it.each([400, 403, 404, 413, 415])('%i is final', async (status) => {
    documents = (_request, reply) => reply.code(status).type('text/plain').send('nope');
    const outcome = await client().submitDocument(GUIDE_DOCUMENT, ids());
    expect(outcome).toMatchObject({ kind: 'rejected', status, problem: { code: `ENGINE_${status}`, detail: 'nope', status } });
  });

  it('a 502 HTML page from a proxy is retried as server-error, never thrown', async () => {
    documents = (_request, reply) => reply.code(502).type('text/html').send('<html><body>Bad gateway</body></html>');
    const outcome = await client().submitDocument(GUIDE_DOCUMENT, ids());
    expect(outcome).toMatchObject({ kind: 'retry', reason: 'server-error', status: 502, correlationId: 'corr-1' });
    if (outcome.kind !== 'retry') throw new Error('unreachable');
    expect(outcome.message).toContain('ENGINE_502');
  });

  it('a 200 whose body is not a JSON object (a maintenance page, a wrong ENGINE_URL) is retried, never recorded as accepted', async () => {
    for (const [type, body] of [
      ['text/html', '<html><body>Down for maintenance</body></html>'],
      ['text/plain', ''],
      ['application/json', '[]'],
    ] as const) {
      documents = (_request, reply) => reply.code(200).type(type).send(body);
      const outcome = await client().submitDocument(GUIDE_DOCUMENT, ids());
      expect(outcome).toMatchObject({ kind: 'retry', reason: 'server-error', status: 200 });
      if (outcome.kind !== 'retry') throw new Error('unreachable');
      expect(outcome.message).toContain('not a JSON object');
    }
  });

  it('a token URL with a password in it never shows the password, in the outcome or the log', async () => {
    const tokenUrl = new URL(`${baseUrl}/oauth/token`);
    tokenUrl.username = 'tokenuser';
    tokenUrl.password = 'S3CR3T-token-url';
    tokenUrl.port = '1';
    const outcome = await client({ tokenUrl: tokenUrl.toString() }).submitDocument(GUIDE_DOCUMENT, ids());
    expect(outcome.kind).toBe('retry');
    expect(JSON.stringify(outcome)).not.toContain('S3CR3T');
    expect(logLines.join('')).toContain('tokenuser:redacted@');
    expect(logLines.join('')).not.toContain('S3CR3T');
  });

  it('429 honours Retry-After in seconds', async () => {
    documents = (_request, reply) => reply.code(429).header('retry-after', '7').send({ title: 'Too Many Requests', detail: 'slow down' });
    const outcome = await client().submitDocument(GUIDE_DOCUMENT, ids());
    expect(outcome).toMatchObject({ kind: 'retry', reason: 'rate-limited', status: 429, retryAfterMs: 7_000 });
  });

  it('503 honours Retry-After as an HTTP date', async () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    documents = (_request, reply) => reply.code(503).header('retry-after', 'Wed, 01 Jan 2025 00:02:00 GMT').send('');
    const outcome = await client({ now: () => now }).submitDocument(GUIDE_DOCUMENT, ids());
    expect(outcome).toMatchObject({ kind: 'retry', reason: 'server-error', status: 503, retryAfterMs: 120_000 });
  });

  it('408 is retried as a timeout', async () => {
    documents = (_request, reply) => reply.code(408).send('');
    expect(await client().submitDocument(GUIDE_DOCUMENT, ids())).toMatchObject({ kind: 'retry', reason: 'timeout', status: 408 });
  });

  it('an engine that never answers is a timeout after timeoutMs', async () => {
    documents = () => new Promise(() => {});
    const started = Date.now();
    const outcome = await client({ timeoutMs: 300 }).submitDocument(GUIDE_DOCUMENT, ids());
    expect(outcome).toMatchObject({ kind: 'retry', reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('a connection dropped mid-request is a network retry', async () => {
    documents = (request) => {
      request.raw.socket.destroy();
      return new Promise(() => {});
    };
    expect(await client().submitDocument(GUIDE_DOCUMENT, ids())).toMatchObject({ kind: 'retry', reason: 'network' });
  });

  it('an engine that is not listening is a network retry', async () => {
    const gone = Fastify();
    const goneUrl = await gone.listen({ port: 0, host: '127.0.0.1' });
    await gone.close();
    const outcome = await client({ baseUrl: goneUrl }).submitDocument(GUIDE_DOCUMENT, ids());
    expect(outcome).toMatchObject({ kind: 'retry', reason: 'network' });
    if (outcome.kind !== 'retry') throw new Error('unreachable');
    expect(outcome.message).toMatch(/ECONNREFUSED/);
  });
});

describe('engine client: token', () => {
  it('is fetched once and reused across submissions', async () => {
    const engine = client();
    for (let n = 1; n <= 5; n += 1) expect((await engine.submitDocument(GUIDE_DOCUMENT, ids(n))).kind).toBe('accepted');
    expect(tokenRequests).toHaveLength(1);
    expect(documentRequests).toHaveLength(5);
  });

  it('concurrent first submissions share one token request', async () => {
    tokenHandler = async (request, reply, attempt) => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      return defaultToken(request, reply, attempt);
    };
    const engine = client();
    const outcomes = await Promise.all(Array.from({ length: 25 }, (_, n) => engine.submitDocument(GUIDE_DOCUMENT, ids(n))));
    expect(outcomes.every((outcome) => outcome.kind === 'accepted')).toBe(true);
    expect(tokenRequests).toHaveLength(1);
  });

  it('is refreshed expires_in minus the margin after it was obtained', async () => {
    let now = 1_000_000;
    tokenHandler = async (_request, reply) => {
      issued += 1;
      validTokens.add(`tok-${issued}`);
      return reply.send({ access_token: `tok-${issued}`, token_type: 'Bearer', expires_in: 120 });
    };
    const engine = client({ now: () => now, tokenRefreshMarginMs: 30_000 });
    await engine.submitDocument(GUIDE_DOCUMENT, ids(1));
    now += 89_000;
    await engine.submitDocument(GUIDE_DOCUMENT, ids(2));
    expect(tokenRequests).toHaveLength(1);
    now += 1_000;
    await engine.submitDocument(GUIDE_DOCUMENT, ids(3));
    expect(tokenRequests).toHaveLength(2);
    expect(documentRequests[2]!.headers.authorization).toBe('Bearer tok-2');
  });

  it('without expires_in, the JWT exp decides', async () => {
    let now = Date.parse('2025-01-01T00:00:00Z');
    tokenHandler = async (_request, reply) => {
      issued += 1;
      const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const jwt = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: 'demo-client', n: issued, exp: Math.floor(now / 1000) + 600 })}.c2ln`;
      validTokens.add(jwt);
      return reply.send({ access_token: jwt, token_type: 'Bearer' });
    };
    const engine = client({ now: () => now, tokenRefreshMarginMs: 60_000 });
    await engine.submitDocument(GUIDE_DOCUMENT, ids(1));
    now += 539_000; // 600 s lifetime - 60 s margin, minus one second
    await engine.submitDocument(GUIDE_DOCUMENT, ids(2));
    expect(tokenRequests).toHaveLength(1);
    now += 1_000;
    await engine.submitDocument(GUIDE_DOCUMENT, ids(3));
    expect(tokenRequests).toHaveLength(2);
  });

  it('an opaque token without expires_in is assumed to live 5 minutes', async () => {
    let now = 0;
    tokenHandler = async (_request, reply) => {
      issued += 1;
      validTokens.add(`opaque-${issued}`);
      return reply.send({ access_token: `opaque-${issued}`, token_type: 'Bearer' });
    };
    const engine = client({ now: () => now, tokenRefreshMarginMs: 0 });
    await engine.submitDocument(GUIDE_DOCUMENT, ids(1));
    now = 299_999;
    await engine.submitDocument(GUIDE_DOCUMENT, ids(2));
    expect(tokenRequests).toHaveLength(1);
    now = 300_000;
    await engine.submitDocument(GUIDE_DOCUMENT, ids(3));
    expect(tokenRequests).toHaveLength(2);
  });

  it('a 401 from the API refreshes the token once and retries once', async () => {
    const engine = client();
    await engine.submitDocument(GUIDE_DOCUMENT, ids(1));
    validTokens.delete('tok-1'); // revoked behind the client's back
    const outcome = await engine.submitDocument(GUIDE_DOCUMENT, ids(2));
    expect(outcome.kind).toBe('accepted');
    expect(tokenRequests).toHaveLength(2);
    expect(documentRequests.map((request) => request.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2']);
    // The retry is the same submission: same idempotency key and correlation id.
    expect(documentRequests[2]!.headers['idempotency-key']).toBe('file-1:2');
  });

  it('a second 401 is a retry with reason unauthorized, not a loop', async () => {
    tokenHandler = async (_request, reply) => reply.send({ access_token: `never-valid-${tokenRequests.length}`, token_type: 'Bearer', expires_in: 3600 });
    const outcome = await client().submitDocument(GUIDE_DOCUMENT, ids());
    expect(outcome).toMatchObject({ kind: 'retry', reason: 'unauthorized', status: 401 });
    expect(tokenRequests).toHaveLength(2);
    expect(documentRequests).toHaveLength(2);
  });

  it('refused client credentials are a retry (an operator fixes them), and the document is never sent', async () => {
    tokenHandler = async (_request, reply) => reply.code(401).send({ error: 'access_denied', error_description: 'Unauthorized' });
    const outcome = await client().submitDocument(GUIDE_DOCUMENT, ids());
    expect(outcome).toMatchObject({ kind: 'retry', reason: 'unauthorized', status: 401 });
    if (outcome.kind !== 'retry') throw new Error('unreachable');
    expect(outcome.message).toContain('access_denied');
    expect(outcome.message).not.toContain(SECRET);
    expect(documentRequests).toHaveLength(0);
  });

  it('a failed token request is not cached: the next submission asks again', async () => {
    tokenHandler = async (request, reply, attempt) => (attempt === 1 ? reply.code(503).header('retry-after', '3').send('') : defaultToken(request, reply, attempt));
    const engine = client();
    expect(await engine.submitDocument(GUIDE_DOCUMENT, ids(1))).toMatchObject({ kind: 'retry', reason: 'server-error', retryAfterMs: 3_000 });
    expect(await engine.submitDocument(GUIDE_DOCUMENT, ids(2))).toMatchObject({ kind: 'accepted' });
    expect(tokenRequests).toHaveLength(2);
  });

  it('uses a separate token server when tokenUrl is given, and omits audience when unset', async () => {
    const auth = Fastify();
    const bodies: unknown[] = [];
    auth.post('/oauth/token', async (request) => {
      bodies.push(request.body);
      validTokens.add('from-auth-server');
      return { access_token: 'from-auth-server', token_type: 'Bearer', expires_in: 86400 };
    });
    const authUrl = await auth.listen({ port: 0, host: '127.0.0.1' });
    try {
      const outcome = await client({ tokenUrl: `${authUrl}/oauth/token`, audience: undefined }).submitDocument(GUIDE_DOCUMENT, ids());
      expect(outcome.kind).toBe('accepted');
      expect(tokenRequests).toHaveLength(0);
      expect(bodies).toEqual([{ client_id: 'demo-client', client_secret: SECRET, grant_type: 'client_credentials' }]);
      expect(documentRequests[0]!.headers.authorization).toBe('Bearer from-auth-server');
    } finally {
      await auth.close();
    }
  });
});

describe('engine client: options', () => {
  it('refuses incomplete options without echoing the secret', () => {
    let message = '';
    try {
      createEngineClient({ baseUrl: 'not a url', clientId: '', clientSecret: SECRET } as EngineClientOptions);
    } catch (error) {
      message = String(error);
    }
    expect(message).toMatch(/baseUrl/);
    expect(message).toMatch(/clientId/);
    expect(message).not.toContain(SECRET);
  });

  it('close is idempotent and later submissions are network retries, not throws', async () => {
    const engine = client();
    await engine.close();
    await engine.close();
    expect(await engine.submitDocument(GUIDE_DOCUMENT, ids())).toMatchObject({ kind: 'retry', reason: 'network' });
  });
});
