import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionLimits } from '../../../src/engine/http/connection-limits.ts';
import type { HttpCustomer } from '../../../src/channels/http/http-channel-schema.ts';
import { startIntakeApp } from '../../channels/http/support/intake-app.ts';
import { waitFor } from '../../support/wait-for.ts';
import { createEngineFixture } from './engine-app-fixture.ts';

const CUSTOMER_TOKEN = 'shipper-token-0123456789abcdef';

type Line = Record<string, unknown>;

interface ListeningApp {
  app: FastifyInstance;
  port: number;
  lines: Line[];
  close(): Promise<void>;
}

/** Each app as it would listen, with a logger that keeps its lines. */
const APPS: Record<'engine' | 'gateway', (limits?: ConnectionLimits) => Promise<ListeningApp>> = {
  async engine(limits) {
    const lines: Line[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Line) });
    const f = await createEngineFixture('pglite', { logger, ...(limits ? { connectionLimits: limits } : {}) });
    return listen(f.app, lines, () => f.close());
  },
  async gateway(limits) {
    const lines: Line[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Line) });
    const customers: Record<string, HttpCustomer> = { shipper: { customer: 'shipper', tokenHashes: [], tokens: [CUSTOMER_TOKEN] } };
    const f = await startIntakeApp(customers, { logger, ...(limits ? { connectionLimits: limits } : {}) });
    return listen(f.app, lines, () => f.close());
  },
};

async function listen(app: FastifyInstance, lines: Line[], close: () => Promise<void>): Promise<ListeningApp> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, port: (app.server.address() as { port: number }).port, lines, close };
}

/** A POST whose headers promise a body that never comes (or only its first bytes). */
const stalledPost = (path: string, headers = '') => `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n${headers}\r\n{"grant_`;
const STALLED_PATH = { engine: '/oauth/token', gateway: '/v1/inbound/shipper/files' };
const STALLED_HEADERS = { engine: '', gateway: `Authorization: Bearer ${CUSTOMER_TOKEN}\r\nX-File-Name: stalled.csv\r\n` };

/** Sends `bytes` on a new connection and collects what comes back until the server closes it. */
function exchange(port: number, bytes: string | Buffer): { answer: Promise<Buffer> } {
  const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  return {
    answer: new Promise((resolve) => {
      socket.on('close', () => resolve(Buffer.concat(chunks)));
      socket.on('error', () => undefined);
    }),
  };
}

function parseAnswer(answer: Buffer): { status: number; headers: Map<string, Buffer>; body: Record<string, unknown> } {
  const split = answer.indexOf('\r\n\r\n');
  const [statusLine, ...headerLines] = answer.subarray(0, split).toString('latin1').split('\r\n');
  const headers = new Map<string, Buffer>();
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).toLowerCase(), Buffer.from(line.slice(colon + 1).trim(), 'latin1'));
  }
  return { status: Number(statusLine!.split(' ')[1]), headers, body: JSON.parse(answer.subarray(split + 4).toString('utf8')) as Record<string, unknown> };
}

/** A request each app logs a line about (with its Correlation-Id), answered with a body. */
const LOGGED_REQUEST = {
  engine: (correlationId: Buffer) => Buffer.concat([Buffer.from('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCorrelation-Id: '), correlationId, Buffer.from('\r\n\r\n')]),
  gateway: (correlationId: Buffer) =>
    Buffer.concat([
      Buffer.from(`POST /v1/inbound/shipper/files HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer ${CUSTOMER_TOKEN}\r\nX-File-Name: logged.csv\r\nContent-Length: 8\r\nCorrelation-Id: `),
      correlationId,
      Buffer.from('\r\n\r\norder\n1\n'),
    ]),
};

describe.each(['engine', 'gateway'] as const)('the %s app over real connections', (which) => {
  describe('with its own limits', () => {
    let running: ListeningApp | undefined;
    afterEach(async () => {
      await running?.close();
      running = undefined;
    });

    it('answers a request whose body never comes 408 REQUEST_TIMEOUT, as a problem, and closes the connection', async () => {
      running = await APPS[which]({ requestTimeoutMs: 300, closeGraceMs: 1000 });
      const { status, headers, body } = parseAnswer(await exchange(running.port, stalledPost(STALLED_PATH[which], STALLED_HEADERS[which])).answer);
      expect(status).toBe(408);
      expect(headers.get('content-type')?.toString()).toBe('application/problem+json');
      expect(body).toMatchObject({ type: 'about:blank', title: 'Request Timeout', status: 408, code: 'REQUEST_TIMEOUT' });
      expect(headers.get('correlation-id')?.length).toBeGreaterThan(0);
    });

    it('closes with a stalled upload in flight: its connection is cut after the grace, not waited for', async () => {
      running = await APPS[which]({ requestTimeoutMs: 10 * 60_000, closeGraceMs: 100 });
      const arrived = new Promise<void>((resolve) => running!.app.server.once('request', () => resolve()));
      const stalled = exchange(running.port, stalledPost(STALLED_PATH[which], STALLED_HEADERS[which]));
      await arrived;
      await running.app.close();
      await stalled.answer;
      expect(running.app.server.listening).toBe(false);
    });
  });

  describe('with the default limits', () => {
    let running: ListeningApp;
    beforeAll(async () => {
      running = await APPS[which]();
    });
    afterAll(async () => running?.close());

    it.each([
      ['a Content-Length that is not a number', 'POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n', 400, 'INVALID_CONTENT_LENGTH'],
      ['Content-Length beside Transfer-Encoding', 'POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'INVALID_TRANSFER_ENCODING'],
      ['a method HTTP does not have', 'FETCH /healthz HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'INVALID_METHOD'],
      ['a control character in a header', 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: a\x01b\r\n\r\n', 400, 'INVALID_HEADER'],
      ['headers over 16 KiB', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'HEADERS_TOO_LARGE'],
    ])("refuses %s as a problem with a code, not Node's own JSON", async (_what, request, status, code) => {
      const answer = parseAnswer(await exchange(running.port, request).answer);
      expect(answer.status).toBe(status);
      expect(answer.headers.get('content-type')?.toString()).toBe('application/problem+json');
      expect(answer.body).toMatchObject({ type: 'about:blank', status, code, title: expect.any(String), detail: expect.any(String) });
      expect(answer.headers.get('correlation-id')?.length).toBeGreaterThan(0);
    });

    it('logs a client that drops mid-upload at info, without a stack: it is not a server error', async () => {
      const dropped = connect(running.port, '127.0.0.1', () => dropped.write(stalledPost(STALLED_PATH[which], STALLED_HEADERS[which])));
      dropped.on('error', () => undefined);
      await new Promise<void>((resolve) => running.app.server.once('request', () => resolve()));
      dropped.destroy();
      const line = await waitFor('the log line of the dropped request', () => running.lines.find((l) => l['code'] === 'CLIENT_ABORTED'));
      expect(line['level']).toBe(30);
      expect(JSON.stringify(line)).not.toContain('stack');
      expect(running.lines.filter((l) => (l['level'] as number) >= 50)).toEqual([]);
    });

    it('echoes a UTF-8 Correlation-Id byte for byte, on problems too, and logs it as the text sent', async () => {
      const id = Buffer.from('Bestellung-März-7', 'utf8');
      const notFound = Buffer.concat([Buffer.from('GET /no-such-route HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCorrelation-Id: '), id, Buffer.from('\r\n\r\n')]);
      for (const request of [LOGGED_REQUEST[which](id), notFound]) {
        const answer = parseAnswer(await exchange(running.port, request).answer);
        expect(answer.headers.get('correlation-id')).toEqual(id);
      }
      expect(running.lines.some((line) => line['correlationId'] === 'Bestellung-März-7')).toBe(true);
      expect(running.lines.some((line) => String(line['correlationId']).includes('Ã'))).toBe(false);
    });
  });
});
