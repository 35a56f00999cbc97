import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpCustomer } from '../../../src/channels/http/http-channel-schema.ts';
import { hashClientSecret } from '../../../src/engine/auth/client-secret.ts';
import { startIntakeApp, type IntakeApp } from './support/intake-app.ts';

const SHIPPER_TOKEN = 'shipper-token-0123456789abcdef';
const OPS_TOKEN = 'ops-token-0123456789';

/** A raw HTTP/1.1 client: inject() never sends 100-continue, and fetch hides interim responses. */
interface RawExchange {
  /** Everything the server sent so far. */
  received(): string;
  /**
   * Resolves once what was received matches (or, without a pattern, once the server closed the connection); after
   * 5 s with what was received by then, so a server that waits for the body fails the test rather than hangs it.
   */
  until(pattern?: RegExp): Promise<string>;
  send(bytes: string | Buffer): void;
  close(): void;
}

function openExchange(port: number, head: string): RawExchange {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  let closed = false;
  const waiters = new Set<() => void>();
  const wake = () => waiters.forEach((waiter) => waiter());
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    wake();
  });
  socket.on('close', () => {
    closed = true;
    wake();
  });
  socket.on('error', () => undefined);
  socket.write(head);
  return {
    received: () => text,
    until: (pattern) =>
      new Promise((resolve) => {
        const timer = setTimeout(() => done(), 5000);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(text);
        };
        const check = () => {
          if (pattern?.test(text) || closed) done();
        };
        waiters.add(check);
        check();
      }),
    send: (bytes) => void socket.write(bytes),
    close: () => void socket.destroy(),
  };
}

const head = (method: string, path: string, headers: Record<string, string | number>): string =>
  `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;

const statusLines = (text: string): string[] => text.split('\r\n').filter((line) => /^HTTP\/1\.1 \d{3}/.test(line));
const bodyOf = (text: string): unknown => JSON.parse(text.slice(text.lastIndexOf('\r\n\r\n') + 4));

/**
 * `Expect: 100-continue` over a real socket: what the gateway can refuse from the headers alone (no route, a wrong
 * token, a declared length over the limit) is refused before the client sends the body, and only an upload it
 * will read is told to go on.
 */
describe('HTTP intake: Expect: 100-continue', () => {
  let fixture: IntakeApp;
  let port: number;
  let url: string;
  const open: RawExchange[] = [];

  beforeAll(async () => {
    const customers: Record<string, HttpCustomer> = {
      shipper: { customer: 'shipper', tokenHashes: [await hashClientSecret(SHIPPER_TOKEN)], tokens: [] },
    };
    fixture = await startIntakeApp(customers);
    await fixture.app.listen({ host: '127.0.0.1', port: 0 });
    port = (fixture.app.server.address() as { port: number }).port;
    url = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    open.forEach((exchange) => exchange.close());
    await fixture?.close();
  });

  const exchange = (method: string, path: string, headers: Record<string, string | number>): RawExchange => {
    const opened = openExchange(port, head(method, path, headers));
    open.push(opened);
    return opened;
  };

  it('answers a wrong token 401 before the body is sent: no 100 Continue, and the connection is closed', async () => {
    const upload = exchange('POST', '/v1/inbound/shipper/files', {
      Authorization: 'Bearer wrong-token',
      'X-File-Name': 'big.csv',
      'Content-Length': 500_000_000,
      Expect: '100-continue',
    });
    // The server closes the connection after its answer: everything it will ever send is in.
    const text = await upload.until();
    expect(statusLines(text)).toEqual(['HTTP/1.1 401 Unauthorized']);
    expect(text).toMatch(/\r\nconnection: close\r\n/i);
    expect(text).toMatch(/\r\ncontent-type: application\/problem\+json/i);
    expect(bodyOf(text)).toMatchObject({ status: 401, code: 'INVALID_TOKEN' });
  });

  it('answers a declared Content-Length over the limit 413 before the body is sent', async () => {
    const upload = exchange('POST', '/v1/inbound/shipper/files', {
      Authorization: `Bearer ${SHIPPER_TOKEN}`,
      'X-File-Name': 'big.csv',
      'Content-Length': 500_000_000,
      Expect: '100-continue',
    });
    const text = await upload.until();
    expect(statusLines(text)).toEqual(['HTTP/1.1 413 Payload Too Large']);
    expect(text).toMatch(/\r\nconnection: close\r\n/i);
    expect(bodyOf(text)).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
  });

  it('answers an unknown route 404, and the ops API without its token 401, before the body is sent', async () => {
    const unknown = await exchange('POST', '/v1/inbound/shipper/elsewhere', { 'Content-Length': 500_000_000, Expect: '100-continue' }).until();
    expect(statusLines(unknown)).toEqual(['HTTP/1.1 404 Not Found']);
    expect(bodyOf(unknown)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    const ops = await exchange('POST', '/ops/customers/shipper/files', {
      Authorization: `Bearer ${SHIPPER_TOKEN}`,
      'X-File-Name': 'big.csv',
      'Content-Length': 500_000_000,
      Expect: '100-continue',
    }).until();
    expect(statusLines(ops)).toEqual(['HTTP/1.1 401 Unauthorized']);
    expect(bodyOf(ops)).toMatchObject({ status: 401, code: 'INVALID_OPS_TOKEN' });
  });

  it('tells an upload it will take to go on: 100 Continue, then the body, then 202', async () => {
    const body = 'order\n1\n';
    const upload = exchange('POST', '/v1/inbound/shipper/files', {
      Authorization: `Bearer ${SHIPPER_TOKEN}`,
      'X-File-Name': 'continued.csv',
      'Content-Length': body.length,
      Expect: '100-continue',
      Connection: 'close',
    });
    expect(await upload.until(/^HTTP\/1\.1 100 Continue\r\n\r\n/)).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    upload.send(body);
    const text = await upload.until();
    expect(statusLines(text)).toEqual(['HTTP/1.1 100 Continue', 'HTTP/1.1 202 Accepted']);
    expect(bodyOf(text)).toMatchObject({ state: 'QUEUED', sizeBytes: body.length });
  });

  it('tells a multipart upload to go on as well', async () => {
    const form = '--b\r\nContent-Disposition: form-data; name="file"; filename="form.csv"\r\n\r\norder\n2\n\r\n--b--\r\n';
    const upload = exchange('POST', '/v1/inbound/shipper/files', {
      Authorization: `Bearer ${SHIPPER_TOKEN}`,
      'Content-Type': 'multipart/form-data; boundary=b',
      'Content-Length': form.length,
      Expect: '100-continue',
      Connection: 'close',
    });
    await upload.until(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
    upload.send(form);
    const text = await upload.until();
    expect(statusLines(text)).toEqual(['HTTP/1.1 100 Continue', 'HTTP/1.1 202 Accepted']);
    expect(bodyOf(text)).toMatchObject({ state: 'QUEUED' });
  });

  it('answers any other expectation 417, as Node does', async () => {
    const text = await exchange('POST', '/v1/inbound/shipper/files', { Authorization: `Bearer ${SHIPPER_TOKEN}`, 'Content-Length': 5, Expect: 'something-else' }).until(/\r\n\r\n/);
    expect(statusLines(text)).toEqual(['HTTP/1.1 417 Expectation Failed']);
  });

  it('curl uploading 2 MB with a wrong token, or over the limit, gets its answer without sending the file', async () => {
    const file = join(fixture.dir, 'two-megabytes.csv');
    writeFileSync(file, Buffer.alloc(2 * 1024 * 1024, 0x41));
    // curl sends Expect: 100-continue for a body over 1 MB by itself, and waits up to 1 s for the answer.
    const curl = async (token: string) => {
      const { stdout } = await promisify(execFile)('curl', [
        '-sS', '-o', '/dev/null', '-w', '%{http_code} %{size_upload}',
        '-H', `Authorization: Bearer ${token}`, '-H', 'X-File-Name: big.csv', '-H', 'Content-Type: text/csv',
        '--data-binary', `@${file}`, `${url}/v1/inbound/shipper/files`,
      ]);
      const [status, uploaded] = stdout.split(' ');
      return { status: Number(status), uploaded: Number(uploaded) };
    };
    expect(await curl('wrong-token')).toEqual({ status: 401, uploaded: 0 });
    expect(await curl(SHIPPER_TOKEN)).toEqual({ status: 413, uploaded: 0 });
  });
});
