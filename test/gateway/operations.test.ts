import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOpsToken } from '../../src/gateway/ops-token.ts';
import type { FileStory } from '../../src/ledger/file-story.ts';
import type { ReplayResult } from '../../src/pipeline/replay.ts';
import { startProduct, type RunningProduct } from '../support/running-product.ts';

const MAPPING = (unit: string) => `format: { type: csv }
match: { fileName: ["*.csv"] }
groupBy: order
document:
  orderNumber: order
items:
  lpn: lpn
  sku: sku
  quantity: qty | number
  quantityUnit: { const: ${unit} }
`;

describe('the gateway operations API and health', () => {
  let product: RunningProduct;
  let mappingsDir: string;
  let token: string;
  let fileId: string;
  beforeAll(async () => {
    mappingsDir = mkdtempSync(join(tmpdir(), 'intake-ops-'));
    mkdirSync(join(mappingsDir, 'opsco'));
    writeFileSync(join(mappingsDir, 'opsco', 'customer.yaml'), 'business: kargo\nfacility: sf\ndirection: INBOUND\n');
    writeFileSync(join(mappingsDir, 'opsco', 'orders.yaml'), MAPPING('CASE'));
    product = await startProduct({ mappingsDir });
    token = loadOpsToken(product.dataDir);
  }, 120_000);
  afterAll(async () => {
    await product?.stop();
    rmSync(mappingsDir, { recursive: true, force: true });
  });

  const ops = (method: 'GET' | 'POST', url: string, extra: { body?: string; headers?: Record<string, string> } = {}) =>
    product.gateway.app!.inject({ method, url, headers: { authorization: `Bearer ${token}`, ...extra.headers }, ...(extra.body !== undefined ? { payload: extra.body } : {}) });

  async function waitFinal(id: string): Promise<FileStory> {
    for (let i = 0; i < 300; i++) {
      const story = (await ops('GET', `/ops/files/${id}`)).json() as FileStory;
      if (story.file.finishedAt && story.deliveries.every((d) => d.state === 'DELIVERED')) return story;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`file ${id} did not finish`);
  }

  it('is alive and ready when the store, Redis and the engine answer', async () => {
    expect((await product.gateway.app!.inject({ url: '/healthz' })).statusCode).toBe(200);
    const ready = await product.gateway.app!.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks).toMatchObject({ store: { ok: true }, redis: { ok: true }, engine: { ok: true } });
  });

  it('refuses the operations API without the ops token', async () => {
    const response = await product.gateway.app!.inject({ url: '/ops/files' });
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect((await product.gateway.app!.inject({ url: '/ops/files', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
  });

  it('takes a file like `intake submit` and tells its whole story', async () => {
    const response = await ops('POST', '/ops/customers/opsco/files', {
      body: 'order,lpn,sku,qty\nOPS-1,L1,S1,3\nOPS-1,L2,S2,4\n',
      headers: { 'content-type': 'application/octet-stream', 'x-file-name': encodeURIComponent('ops orders.csv') },
    });
    expect(response.statusCode).toBe(202);
    fileId = response.json().fileId;
    const story = await waitFinal(fileId);
    expect(story.file).toMatchObject({ customer: 'opsco', name: 'ops orders.csv', state: 'COMPLETED', channel: 'cli', documentCount: 1, mapping: 'orders' });
    expect(story.timeline.map((e) => e.state)).toEqual(['RECEIVED', 'QUEUED', 'PARSING', 'SUBMITTING', 'COMPLETED', 'DELIVERED']);
    expect(story.documents[0]).toMatchObject({ index: 0, orderNumber: 'OPS-1', state: 'ACCEPTED', engineStatus: 201 });
    expect(story.documents[0]!.created.some((ref) => ref.startsWith('ORDER_ITEM'))).toBe(true);
    const listed = (await ops('GET', '/ops/files?customer=opsco&state=completed')).json() as { files: { id: string }[] };
    expect(listed.files.map((f) => f.id)).toContain(fileId);
    expect(existsSync(join(product.dataDir, 'results', fileId, 'ops orders.csv.result.csv'))).toBe(true);
  });

  it('refuses an upload for a customer that is not set up, and one without a name', async () => {
    expect((await ops('POST', '/ops/customers/nobody/files', { body: 'x', headers: { 'content-type': 'text/csv', 'x-file-name': 'a.csv' } })).statusCode).toBe(404);
    expect((await ops('POST', '/ops/customers/opsco/files', { body: 'x', headers: { 'content-type': 'text/csv' } })).statusCode).toBe(400);
  });

  it('answers 400 to an upload whose X-File-Name does not decode, naming the header, and to an empty one (Content-Length 0 or chunked)', async () => {
    const badName = await ops('POST', '/ops/customers/opsco/files', { body: 'x', headers: { 'content-type': 'text/csv', 'x-file-name': '%E0%A4%A' } });
    expect(badName.statusCode).toBe(400);
    expect(badName.json()).toMatchObject({ code: 'INVALID_FILE_NAME', detail: expect.stringContaining('X-File-Name') });
    const empty = await ops('POST', '/ops/customers/opsco/files', { body: '', headers: { 'content-type': 'text/csv', 'content-length': '0', 'x-file-name': 'empty.csv' } });
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({ code: 'EMPTY_BODY' });
    const chunked = await product.gateway.app!.inject({
      method: 'POST',
      url: '/ops/customers/opsco/files',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv', 'x-file-name': 'empty.csv' },
      payload: Readable.from([]),
    });
    expect(chunked.statusCode).toBe(400);
    expect(chunked.json()).toMatchObject({ code: 'EMPTY_BODY' });
  });

  it('answers 404 FILE_NOT_FOUND to a replay of an unknown file id, dry run or not', async () => {
    for (const url of ['/ops/files/nope/replay', '/ops/files/nope/replay?dryRun=1']) {
      const response = await ops('POST', url);
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ code: 'FILE_NOT_FOUND', detail: expect.stringContaining('"nope"') });
    }
  });

  it('answers a NUL in a file id 404 FILE_NOT_FOUND and in a customer 400 INVALID_QUERY, not a database error', async () => {
    for (const [method, url] of [['GET', '/ops/files/%00'], ['POST', '/ops/files/%00/replay'], ['POST', '/ops/files/%00/replay?dryRun=1'], ['POST', '/ops/files/a%00b/replay?force=1']] as const) {
      const response = await ops(method, url);
      expect(response.statusCode, url).toBe(404);
      expect(response.json()).toMatchObject({ code: 'FILE_NOT_FOUND' });
    }
    const listed = await ops('GET', '/ops/files?customer=%00');
    expect(listed.statusCode).toBe(400);
    expect(listed.json()).toMatchObject({ code: 'INVALID_QUERY', detail: expect.stringContaining('customer') });
  });

  it('answers 400 INVALID_QUERY naming the parameter to a bad limit, state or last, instead of a database error', async () => {
    for (const [url, parameter] of [
      ['/ops/files?limit=-5', 'limit'],
      ['/ops/files?limit=1.5', 'limit'],
      ['/ops/files?limit=ten', 'limit'],
      ['/ops/files?state=nope', 'state'],
      ['/ops/files?state=QUEUED&state=COMPLETED', 'state'],
      ['/ops/files?customer=a&customer=b', 'customer'],
    ] as const) {
      const response = await ops('GET', url);
      expect(response.statusCode, url).toBe(400);
      expect(response.json(), url).toMatchObject({ code: 'INVALID_QUERY', detail: expect.stringContaining(`${parameter}:`) });
    }
    const regress = await ops('POST', '/ops/customers/opsco/regress?last=0.5');
    expect(regress.statusCode).toBe(400);
    expect(regress.json()).toMatchObject({ code: 'INVALID_QUERY', detail: expect.stringContaining('last:') });
    expect((await ops('GET', '/ops/files?limit=5000&state=completed')).statusCode).toBe(200);
  });

  it('replays with --dry-run: reports how the documents would differ under the current mapping, changing nothing', async () => {
    writeFileSync(join(mappingsDir, 'opsco', 'orders.yaml'), MAPPING('PALLET'));
    const result = (await ops('POST', `/ops/files/${fileId}/replay?dryRun=1`)).json() as ReplayResult;
    expect(result.documents).toEqual({ before: 1, after: 1 });
    expect(result.differences).toEqual([
      {
        index: 0,
        orderNumber: 'OPS-1',
        change: 'changed',
        fields: [
          { path: 'items[0].quantityUnit', before: 'CASE', after: 'PALLET' },
          { path: 'items[1].quantityUnit', before: 'CASE', after: 'PALLET' },
        ],
      },
    ]);
  });

  it('names, in a dry run, the order of a document the current mapping would refuse', async () => {
    writeFileSync(join(mappingsDir, 'opsco', 'orders.yaml'), MAPPING('PALLET').replace('quantity: qty | number', 'quantity: sku | number'));
    try {
      const result = (await ops('POST', `/ops/files/${fileId}/replay?dryRun=1`)).json() as ReplayResult;
      expect(result.differences).toEqual([expect.objectContaining({ index: 0, orderNumber: 'OPS-1', change: 'changed' })]);
      expect(JSON.stringify(result.differences)).toMatch(/rejected/);
    } finally {
      writeFileSync(join(mappingsDir, 'opsco', 'orders.yaml'), MAPPING('PALLET'));
    }
  });

  it('replays for real as a new file that is never a duplicate of the original', async () => {
    const result = (await ops('POST', `/ops/files/${fileId}/replay`)).json() as ReplayResult;
    expect(result.replayFileId).toBeDefined();
    const story = await waitFinal(result.replayFileId!);
    expect(story.file).toMatchObject({ state: 'COMPLETED', replayOf: fileId });
  });

  it("regresses a customer's recent files against the mapping on disk; a file refused as before is no change", async () => {
    // A file no mapping matches: REJECTED (NO_MAPPING) then, and refused the same way now.
    const refused = await ops('POST', '/ops/customers/opsco/files', {
      body: 'just some notes\n',
      headers: { 'content-type': 'application/octet-stream', 'x-file-name': 'notes.txt' },
    });
    expect(refused.statusCode).toBe(202);
    expect((await waitFinal(refused.json().fileId)).file.state).toBe('REJECTED');
    const report = (await ops('POST', '/ops/customers/opsco/regress?last=5')).json() as { files: { fileId: string; differences: unknown[] }[]; changed: number };
    // The mapping on disk now says PALLET; the replay already ran with it, the first file still differs.
    expect(report.files.map((f) => f.fileId)).toContain(fileId);
    expect(report.files.map((f) => f.fileId)).toContain(refused.json().fileId);
    expect(report.changed).toBe(1);
    expect((await ops('POST', '/ops/customers/nobody/regress')).statusCode).toBe(404);
  });

  it('exports Prometheus metrics: files by state, documents, queue depths, stage latencies', async () => {
    const metrics = (await product.gateway.app!.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/intake_files\{state="COMPLETED"\} \d+/);
    expect(metrics).toMatch(/intake_documents\{state="ACCEPTED"\} \d+/);
    expect(metrics).toMatch(/intake_queue_depth\{stage="submit"\} \d+/);
    expect(metrics).toMatch(/intake_stage_duration_seconds_count\{stage="submit",outcome="ok"\} \d+/);
  });
});
