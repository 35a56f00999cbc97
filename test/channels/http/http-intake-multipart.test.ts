import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpCustomer } from '../../../src/channels/http/http-channel-schema.ts';
import { spoolPaths } from '../../../src/inbox/spool.ts';
import type { TestDatabase } from '../../support/stores.ts';
import { startIntakeApp, type IntakeApp } from './support/intake-app.ts';

const TOKEN = 'shipper-token-0123456789abcdef';
const BOUNDARY = '------------------------d74496d66958873e';

/** One part as `curl -F` writes it. */
function part(headers: string, body: string | Buffer): Buffer {
  return Buffer.concat([Buffer.from(`--${BOUNDARY}\r\n${headers}\r\n\r\n`), Buffer.from(body), Buffer.from('\r\n')]);
}
const filePart = (name: string, body: string | Buffer, field = 'file') =>
  part(`Content-Disposition: form-data; name="${field}"; filename="${name}"\r\nContent-Type: text/csv`, body);
const fieldPart = (name: string, value: string) => part(`Content-Disposition: form-data; name="${name}"`, value);
const form = (...parts: Buffer[]) => Buffer.concat([...parts, Buffer.from(`--${BOUNDARY}--\r\n`)]);
const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`;

/**
 * multipart/form-data on `POST /v1/inbound/{customer}/files`, on the gateway app with a real inbox (spool on disk,
 * ledger on PGlite); maxFileBytes is 1000.
 */
describe('HTTP intake: multipart/form-data uploads', () => {
  let fixture: IntakeApp;
  let app: FastifyInstance;
  let database: TestDatabase;
  let parsed: string[];
  const spoolDir = () => fixture.spoolDir;

  beforeAll(async () => {
    const customers: Record<string, HttpCustomer> = { shipper: { customer: 'shipper', tokenHashes: [], tokens: [TOKEN] } };
    fixture = await startIntakeApp(customers);
    ({ app, database, parsed } = fixture);
  });
  afterAll(async () => fixture?.close());

  const auth = { authorization: `Bearer ${TOKEN}` };
  const spooledFiles = () => (existsSync(join(spoolDir(), 'shipper')) ? readdirSync(join(spoolDir(), 'shipper')) : []);
  const ledgerCount = async () => Number((await database.db.query<{ n: string }>('SELECT count(*) AS n FROM gateway.files')).rows[0]!.n);
  const post = (payload: Buffer | Readable, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/v1/inbound/shipper/files', headers: { ...auth, 'content-type': MULTIPART, ...headers }, payload });
  const nameOf = async (location: string) => (await app.inject({ method: 'GET', url: location, headers: auth })).json().name as string;

  /** A refusal leaves nothing: no spooled file, no temporary file, no ledger row, nothing queued. */
  async function expectNothingLeft(refuse: () => Promise<void>) {
    const before = { spool: spooledFiles().length, ledger: await ledgerCount(), parsed: parsed.length };
    await refuse();
    expect(spooledFiles().length).toBe(before.spool);
    expect(spooledFiles().some((name) => name.endsWith('.partial'))).toBe(false);
    expect(await ledgerCount()).toBe(before.ledger);
    expect(parsed.length).toBe(before.parsed);
  }

  it('takes a FormData upload: 202, named by the part, and the spooled bytes are the part\'s bytes', async () => {
    const bytes = Buffer.from('order,sku\nMP-1,SKU-1\n\u0000\u00ff binary \r\n--not-a-boundary\r\n', 'latin1');
    const data = new FormData();
    data.append('comment', 'ignored');
    data.append('file', new Blob([bytes], { type: 'text/csv' }), 'März orders.csv');
    const request = new Request('http://x/', { method: 'POST', body: data });
    const body = Buffer.from(await request.arrayBuffer());
    const response = await post(body, { 'content-type': request.headers.get('content-type')! });
    expect(response.statusCode).toBe(202);
    const receipt = response.json();
    expect(receipt).toMatchObject({ state: 'QUEUED', sizeBytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    expect(response.headers.location).toBe(receipt.statusUrl);
    expect(parsed).toContain(receipt.fileId);
    expect(readFileSync(spoolPaths(spoolDir(), 'shipper', receipt.fileId).data)).toEqual(bytes);
    expect(await nameOf(receipt.statusUrl)).toBe('März orders.csv');
  });

  it('keeps only the last segment of a filename with a path', async () => {
    for (const name of ['../../x.csv', '..\\..\\x.csv', '/etc/x.csv']) {
      const response = await post(form(filePart(name, `order\nPATH-${name.length}-${name.charCodeAt(0)}\n`)));
      expect(response.statusCode).toBe(202);
      expect(await nameOf(response.headers.location as string)).toBe('x.csv');
    }
  });

  it.each([
    // Spring 6 (ContentDisposition with a charset): an RFC 2047 word in filename, the real name in filename*.
    ['Spring', `form-data; name="file"; filename="=?UTF-8?Q?M=C3=A4rz_orders.csv?="; filename*=UTF-8''M%C3%A4rz%20orders.csv`],
    ['.NET HttpClient', `form-data; name=file; filename="=?utf-8?B?TcOkcnogb3JkZXJzLmNzdg==?="; filename*=utf-8''M%C3%A4rz%20orders.csv`],
    ['filename* first, then an ASCII fallback', `form-data; name="file"; filename*=UTF-8''M%C3%A4rz%20orders.csv; filename="Marz orders.csv"`],
    ['filename* alone, with a path', `form-data; name="file"; filename*=UTF-8''..%2F..%2FM%C3%A4rz%20orders.csv`],
  ])('names the file by filename* over filename (%s)', async (_client, disposition) => {
    const response = await post(form(part(`Content-Disposition: ${disposition}\r\nContent-Type: text/csv`, `order\nSTAR-${disposition.length}\n`)));
    expect(response.statusCode).toBe(202);
    expect(await nameOf(response.headers.location as string)).toBe('März orders.csv');
  });

  it('ignores form fields around the file part, and needs no X-File-Name', async () => {
    const response = await post(form(fieldPart('a', '1'), filePart('fields.csv', 'order\nF-1\n'), fieldPart('b', 'x'.repeat(20_000))));
    expect(response.statusCode).toBe(202);
    expect(readFileSync(spoolPaths(spoolDir(), 'shipper', response.json().fileId).data, 'utf8')).toBe('order\nF-1\n');
  });

  it('is 413 for a file part that grows past the limit while it streams, with nothing left', async () => {
    await expectNothingLeft(async () => {
      const response = await post(
        Readable.from(
          (function* () {
            yield Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n`);
            for (let i = 0; i < 30; i++) yield Buffer.alloc(100, 0x41);
            yield Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
          })(),
        ),
      );
      expect(response.statusCode).toBe(413);
      expect(response.json()).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
      expect(response.headers.connection).toBe('close');
    });
  });

  it('takes a file of exactly the limit: the envelope does not count against it', async () => {
    const response = await post(form(fieldPart('note', 'n'), filePart('exact.csv', Buffer.alloc(1000, 0x45))));
    expect(response.statusCode).toBe(202);
    expect(response.json().sizeBytes).toBe(1000);
  });

  it('is 400 MISSING_FILE_PART for a form without a file part', async () => {
    await expectNothingLeft(async () => {
      const response = await post(form(fieldPart('file', 'not a file'), fieldPart('other', 'x')));
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'MISSING_FILE_PART' });
    });
  });

  it('is 400 TOO_MANY_FILE_PARTS for two file parts, the first one received and then dropped', async () => {
    await expectNothingLeft(async () => {
      const response = await post(form(filePart('one.csv', 'order\nTWO-1\n'), filePart('two.csv', 'order\nTWO-2\n', 'file2')));
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'TOO_MANY_FILE_PARTS' });
    });
  });

  it('is 400 TOO_MANY_PARTS past the parts limit', async () => {
    await expectNothingLeft(async () => {
      const fields = Array.from({ length: 40 }, (_, i) => fieldPart(`f${i}`, 'v'));
      const response = await post(form(filePart('many.csv', 'order\nMANY-1\n'), ...fields));
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'TOO_MANY_PARTS' });
    });
  });

  it('is 400 INVALID_MULTIPART without a boundary, or when the body does not use it', async () => {
    await expectNothingLeft(async () => {
      const missing = await post(form(filePart('b.csv', 'order\nB-1\n')), { 'content-type': 'multipart/form-data' });
      expect(missing.statusCode).toBe(400);
      expect(missing.json()).toMatchObject({ code: 'INVALID_MULTIPART' });
      const other = await post(form(filePart('b.csv', 'order\nB-2\n')), { 'content-type': 'multipart/form-data; boundary=somethingElse' });
      expect(other.statusCode).toBe(400);
      expect(other.json()).toMatchObject({ code: 'INVALID_MULTIPART' });
    });
  });

  it('is 400 TRUNCATED_MULTIPART for a body cut off inside the file part or before the closing boundary', async () => {
    await expectNothingLeft(async () => {
      const whole = form(filePart('cut.csv', 'order\nCUT-1\nCUT-2\n'));
      for (const cut of [whole.subarray(0, whole.length - 40), whole.subarray(0, whole.length - `--${BOUNDARY}--\r\n`.length)]) {
        const response = await post(cut);
        expect(response.statusCode).toBe(400);
        expect(response.json()).toMatchObject({ code: 'TRUNCATED_MULTIPART' });
      }
    });
  });

  it('is 400 for an empty body, an empty file part, or a file part without a usable name', async () => {
    await expectNothingLeft(async () => {
      expect((await post(Buffer.alloc(0))).json()).toMatchObject({ code: 'EMPTY_BODY' });
      expect((await post(form(filePart('empty.csv', '')))).json()).toMatchObject({ code: 'EMPTY_BODY' });
      expect((await post(form(filePart('..', 'order\nDOTS-1\n')))).json()).toMatchObject({ code: 'INVALID_FILE_NAME' });
    });
  });

  it('leaves the raw-body path as it was (a multipart-looking body with another Content-Type is a raw file)', async () => {
    const body = form(filePart('raw.csv', 'order\nRAW-1\n'));
    const response = await app.inject({ method: 'POST', url: '/v1/inbound/shipper/files', headers: { ...auth, 'content-type': 'application/octet-stream', 'x-file-name': 'raw.bin' }, payload: body });
    expect(response.statusCode).toBe(202);
    expect(readFileSync(spoolPaths(spoolDir(), 'shipper', response.json().fileId).data)).toEqual(body);
  });

  it('works over a real connection with fetch and FormData, and the client reads a 413', async () => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/v1/inbound/shipper/files`;
    const small = new FormData();
    small.append('file', new Blob(['order\nNET-1\n']), 'net.csv');
    const accepted = await fetch(url, { method: 'POST', headers: auth, body: small });
    expect(accepted.status).toBe(202);
    const receipt = (await accepted.json()) as { fileId: string };
    expect(readFileSync(spoolPaths(spoolDir(), 'shipper', receipt.fileId).data, 'utf8')).toBe('order\nNET-1\n');

    await expectNothingLeft(async () => {
      const big = new FormData();
      big.append('file', new Blob([Buffer.alloc(50_000, 0x42)]), 'big.csv');
      const refused = await fetch(url, { method: 'POST', headers: auth, body: big });
      expect(refused.status).toBe(413);
      expect(await refused.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    });
  });

  it('leaves nothing when the client goes away in the middle of the file part', async () => {
    const address = app.server.address() as { port: number } | null;
    if (!address) await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as { port: number }).port;
    await expectNothingLeft(async () => {
      const socket = connect(port, '127.0.0.1');
      await once(socket, 'connect');
      const head = Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="gone.csv"\r\n\r\norder\nGONE-1\n`);
      socket.write(
        `POST /v1/inbound/shipper/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: ${MULTIPART}\r\nContent-Length: 900\r\n\r\n`,
      );
      socket.write(head);
      await new Promise((resolve) => setTimeout(resolve, 100));
      socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, 200));
    });
    // The server is still there.
    expect((await app.inject({ method: 'GET', url: '/v1/inbound/openapi.json' })).statusCode).toBe(200);
  });

  it('describes multipart/form-data in its OpenAPI document', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/v1/inbound/openapi.json' })).json();
    const content = doc.paths['/v1/inbound/{customer}/files'].post.requestBody.content;
    expect(content['multipart/form-data'].schema).toMatchObject({ type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } });
    expect(content['*/*']).toBeDefined();
  });
});
