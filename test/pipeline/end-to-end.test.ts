import { orderCsvMapping } from '../support/order-csv-mapping.ts';
import { waitFor } from '../support/wait-for.ts';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFileBySource, getFile } from '../../src/ledger/files-repo.ts';
import type { FolderSource } from '../../src/channels/folder/drop-folder.ts';
import { fileStatus } from '../../src/channels/http/file-status.ts';
import { gatewayPaths } from '../../src/gateway/start-gateway.ts';
import { startProduct, type RunningProduct } from '../support/running-product.ts';

const CUSTOMER = `# yaml-language-server: $schema=../mapping.schema.json
business: kargo
facility: sf
direction: OUTBOUND
`;
const MAPPING = orderCsvMapping();


describe('a file dropped in a customer folder ends with one final state and a result', () => {
  let product: RunningProduct;
  let mappingsDir: string;
  let dropDir: string;
  beforeAll(async () => {
    mappingsDir = mkdtempSync(join(tmpdir(), 'intake-mappings-'));
    mkdirSync(join(mappingsDir, 'shipper'));
    writeFileSync(join(mappingsDir, 'shipper', 'customer.yaml'), CUSTOMER);
    writeFileSync(join(mappingsDir, 'shipper', 'orders.yaml'), MAPPING);
    // A customer whose files are all-or-nothing: one bad row refuses the whole file.
    mkdirSync(join(mappingsDir, 'strict'));
    writeFileSync(join(mappingsDir, 'strict', 'customer.yaml'), CUSTOMER);
    writeFileSync(join(mappingsDir, 'strict', 'orders.yaml'), `onError: rejectFile\n${MAPPING}`);
    // A customer whose export keeps closed lines, left out by design (`when`).
    mkdirSync(join(mappingsDir, 'picky'));
    writeFileSync(join(mappingsDir, 'picky', 'customer.yaml'), CUSTOMER);
    writeFileSync(join(mappingsDir, 'picky', 'orders.yaml'), `when: { column: status, equals: OPEN }\n${MAPPING}`);
    // A customer whose export ends with a totals row, dropped by the CSV reader's skipWhen.
    mkdirSync(join(mappingsDir, 'totals'));
    writeFileSync(join(mappingsDir, 'totals', 'customer.yaml'), CUSTOMER);
    writeFileSync(join(mappingsDir, 'totals', 'orders.yaml'), MAPPING.replace('format: { type: csv }', 'format: { type: csv, skipWhen: { matches: "^TOTAL" } }'));
    product = await startProduct({ mappingsDir });
    dropDir = gatewayPaths(product.env).dropDir;
  }, 120_000);
  afterAll(async () => {
    await product?.stop();
    rmSync(mappingsDir, { recursive: true, force: true });
  });

  type ResultError = { code: string; message: string; place: { line: number | null; column: string | null } };
  async function drop(customer: string, name: string, content: string): Promise<{ csv: string; json: { file: { id: string; state: string; error: ResultError | null }; documents: { outcome: string; source: string | null; error: ResultError | null }[] } }> {
    const inbound = join(dropDir, customer, 'inbound');
    mkdirSync(inbound, { recursive: true });
    writeFileSync(join(inbound, name), content);
    const outbound = join(dropDir, customer, 'outbound');
    const csvPath = join(outbound, `${name}.result.csv`);
    await waitFor(`${csvPath}`, () => (existsSync(csvPath) && existsSync(join(outbound, `${name}.result.json`)) ? true : undefined));
    return { csv: readFileSync(csvPath, 'utf8'), json: JSON.parse(readFileSync(join(outbound, `${name}.result.json`), 'utf8')) };
  }

  it('applies every document to the engine and writes COMPLETED results to outbound/', async () => {
    const result = await drop(
      'shipper',
      'orders.csv',
      'order,shipment,lpn,sku,qty,unit\nE2E-1,S-E2E-1,L1,SKU1,10,CASE\nE2E-1,S-E2E-1,L2,SKU2,5,CASE\nE2E-2,S-E2E-2,L3,SKU3,1,UNIT\n',
    );
    expect(result.json.file.state).toBe('COMPLETED');
    expect(result.json.documents.map((d) => d.outcome)).toEqual(['ACCEPTED', 'ACCEPTED']);
    const { rows } = await product.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM engine.order_items i JOIN engine.orders o ON o.id = i.order_id WHERE o.order_number IN ('E2E-1', 'E2E-2')`,
    );
    expect(rows[0]?.n).toBe(3);
    expect(readdirSync(join(dropDir, 'shipper', 'processed')).some((n) => n.endsWith('orders.csv'))).toBe(true);
    expect(readdirSync(join(dropDir, 'shipper', 'inbound'))).toEqual([]);
  });

  it('marks a document the mapping cannot build as rejected, with the line, and applies the others (PARTIAL)', async () => {
    const result = await drop('shipper', 'partial.csv', 'order,shipment,lpn,sku,qty,unit\nP-1,S-P,L1,SKU1,ten,CASE\nP-2,S-P,L2,SKU2,2,CASE\n');
    expect(result.json.file.state).toBe('PARTIAL');
    expect(result.json.documents[0]).toMatchObject({ outcome: 'REJECTED' });
    expect(result.json.documents[0]?.error?.message).toMatch(/line 2/);
    expect(result.json.documents[1]).toMatchObject({ outcome: 'ACCEPTED' });
  });

  it.each([
    ['an unknown customer folder', 'stranger', 'orders.csv', 'order\n1\n', 'UNKNOWN_CUSTOMER'],
    ['a file no mapping matches', 'shipper', 'orders.txt', 'order\n1\n', 'NO_MAPPING'],
    ['an empty file', 'shipper', 'empty.csv', '', 'EMPTY_FILE'],
  ])('ends %s REJECTED with a result that says why', async (_what, customer, name, content, code) => {
    const result = await drop(customer, name, content);
    expect(result.json.file.state).toBe('REJECTED');
    expect(result.json.file.error?.code).toBe(code);
    expect(result.csv).toContain(code);
    expect(readdirSync(join(dropDir, customer, 'failed')).some((n) => n.endsWith(name))).toBe(true);
  });

  it('ends a file the mapping rejects as a whole REJECTED, applies none of it, and says which line', async () => {
    const result = await drop('strict', 'all-or-nothing.csv', 'order,shipment,lpn,sku,qty,unit\nSTRICT-1,S-ST,L1,SKU1,1,CASE\nSTRICT-2,S-ST,L2,SKU2,two,CASE\n');
    expect(result.json.file.state).toBe('REJECTED');
    expect(result.json.file.error?.code).toBe('MAPPING_REJECT_FILE');
    expect(result.json.file.error?.message).toContain('expected a number, got "two"');
    expect((result.json.file.error as unknown as { place: { line: number; column: string } }).place).toMatchObject({ line: 3, column: 'qty' });
    expect(result.csv).toMatch(/line 3, column ""qty""/);
    const { rows } = await product.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM engine.orders WHERE order_number LIKE 'STRICT-%'`);
    expect(rows[0]?.n).toBe(0);
  });

  it("records where a drop-folder file was taken from, so a restart recognises a file it took but did not move", async () => {
    await drop('shipper', 'source-recorded.csv', 'order,shipment,lpn,sku,qty,unit\nSRC-1,S-SRC,L1,SKU1,1,CASE\n');
    const { rows } = await product.db.query<{ id: string; reply_to: { source: FolderSource } }>("SELECT id, reply_to FROM gateway.files WHERE original_name = 'source-recorded.csv'");
    expect(rows[0]!.reply_to.source).toMatchObject({ name: 'source-recorded.csv', size: 59 });
    expect((await findFileBySource(product.db, 'shipper', 'folder', rows[0]!.reply_to.source))?.id).toBe(rows[0]!.id);
    expect(await findFileBySource(product.db, 'shipper', 'folder', { ...rows[0]!.reply_to.source, size: 60 })).toBeUndefined();
  });

  it('answers the same file sent again with a DUPLICATE result and applies nothing twice', async () => {
    const content = 'order,shipment,lpn,sku,qty,unit\nDUP-1,S-DUP,L1,SKU1,1,CASE\n';
    const first = await drop('shipper', 'dup-a.csv', content);
    const second = await drop('shipper', 'dup-b.csv', content);
    expect(first.json.file.state).toBe('COMPLETED');
    expect(second.json.file.state).toBe('DUPLICATE');
    expect(second.json.file.error?.message).toMatch(/same content/);
    // What a customer can do: change the file, or ask for a replay (only operators can replay).
    expect(second.json.file.error?.message).toMatch(/correct its content and send it again; .* ask your onboarding contact to replay file/);
    expect(second.json.file.error?.message).not.toMatch(/send it under a replay/i);
    // One final state in its story: DUPLICATE when received, not again when finished.
    const { rows } = await product.db.query<{ state: string }>('SELECT state FROM gateway.file_events WHERE file_id = $1 ORDER BY id', [second.json.file.id]);
    expect(rows.map((r) => r.state).filter((state) => state === 'DUPLICATE')).toEqual(['DUPLICATE']);
  });

  it('reports a row skipped because of an error in the results and the status, with its place, and ends PARTIAL', async () => {
    const result = await drop('shipper', 'skipped-row.csv', 'order,shipment,lpn,sku,qty,unit\nSKIP-1,S-SK,L1,SKU1,1,CASE\n,S-SK,L2,SKU2,1,CASE\n');
    expect(result.json.file.state).toBe('PARTIAL');
    expect(result.json.documents.map((d) => d.outcome)).toEqual(['ACCEPTED', 'REJECTED']);
    expect(result.json.documents[1]).toMatchObject({ source: 'line 3', error: { code: 'MAPPING_EMPTY_GROUP_KEY', place: { line: 3, column: 'order' } } });
    expect(result.csv).toMatch(/line 3,,REJECTED,.*MAPPING_EMPTY_GROUP_KEY/);
    const status = await fileStatus(product.db, gatewayPaths(product.env).resultsDir, (await getFile(product.db, result.json.file.id))!);
    expect(status.documents[1]).toMatchObject({ outcome: 'REJECTED', source: 'line 3', error: { code: 'MAPPING_EMPTY_GROUP_KEY', place: { line: 3, column: 'order' } } });
  });

  it('ends a file whose every row is skipped REJECTED, saying why and where the first error is', async () => {
    const result = await drop('shipper', 'no-keys.csv', 'order,shipment,lpn,sku,qty,unit\n,S-X,L1,SKU1,1,CASE\n');
    expect(result.json.file.state).toBe('REJECTED');
    expect(result.json.file.error).toMatchObject({ code: 'NO_DOCUMENTS', place: { line: 2, column: 'order' } });
    expect(result.json.file.error?.message).toMatch(/^no row produced a document: 1 row skipped because of errors; the first: line 2, column "order", field groupBy: the grouping key/);
    expect(result.json.documents).toMatchObject([{ outcome: 'REJECTED', error: { code: 'MAPPING_EMPTY_GROUP_KEY' } }]);
  });

  it('ends a file whose header lacks a column the mapping reads REJECTED, naming the columns, instead of every row "without" an order', async () => {
    const result = await drop('shipper', 'wrong-header.csv', 'OrderNumber,shipment,lpn,sku,qty,unit\nX-1,S-X,L1,SKU1,1,CASE\n');
    expect(result.json.file.state).toBe('REJECTED');
    expect(result.json.file.error).toMatchObject({
      code: 'MAPPING_UNKNOWN_COLUMN',
      message: 'the mapping reads column "order" (groupBy, document.orderNumber), which this file does not have (it has OrderNumber, shipment, lpn, sku, qty, unit): every row would read it as empty',
    });
  });

  it('applies no document of an order that two groups of the file make (a trailing space in the key) instead of the second replacing the first', async () => {
    const result = await drop('shipper', 'split-order.csv', 'order,shipment,lpn,sku,qty,unit\nSPLIT-1,S-SP,L1,SKU1,1,CASE\nSPLIT-1 ,S-SP,L2,SKU2,2,CASE\nSPLIT-2,S-SP,L3,SKU3,3,CASE\n');
    expect(result.json.file.state).toBe('PARTIAL');
    expect(result.json.documents.map((d) => [d.outcome, d.source, d.error?.code ?? null])).toEqual([
      ['REJECTED', 'line 2', 'MAPPING_ORDER_SPLIT'],
      ['REJECTED', 'line 3', 'MAPPING_ORDER_SPLIT'],
      ['ACCEPTED', 'line 4', null],
    ]);
    expect(result.json.documents[0]?.error?.message).toContain('order "SPLIT-1" comes from 2 groups of this file, order "SPLIT-1" (line 2) and order "SPLIT-1 " (line 3)');
    const { rows } = await product.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM engine.orders WHERE order_number = 'SPLIT-1'`);
    expect(rows[0]?.n).toBe(0);
  });

  it("drops the rows the CSV reader's skipWhen names (a totals row) and applies the others", async () => {
    const result = await drop('totals', 'with-total.csv', 'order,shipment,lpn,sku,qty,unit\nTOT-1,S-TOT,L1,SKU1,1,CASE\nTOT-1,S-TOT,L2,SKU2,2,CASE\nTOTAL,,,,3,\n');
    expect(result.json.file.state).toBe('COMPLETED');
    expect(result.json.documents.map((d) => [d.outcome, d.source])).toEqual([['ACCEPTED', 'lines 2-3']]);
  });

  it('leaves rows excluded by `when` out without making the file PARTIAL, and says so when they are all excluded', async () => {
    const header = 'order,shipment,lpn,sku,qty,unit,status\n';
    const some = await drop('picky', 'some-closed.csv', `${header}W-1,S-W,L1,SKU1,1,CASE,OPEN\nW-2,S-W,L2,SKU2,1,CASE,CLOSED\n`);
    expect(some.json.file.state).toBe('COMPLETED');
    expect(some.json.documents.map((d) => d.outcome)).toEqual(['ACCEPTED']);
    const all = await drop('picky', 'all-closed.csv', `${header}W-3,S-W,L1,SKU1,1,CASE,CLOSED\nW-4,S-W,L2,SKU2,1,CASE,CLOSED\n`);
    expect(all.json.file.state).toBe('REJECTED');
    expect(all.json.file.error).toMatchObject({ code: 'NO_DOCUMENTS', message: "no row produced a document: 2 rows excluded by the mapping's when" });
  });

  it('processes the same bytes sent again after a refusal (corrected name), and a second empty file is EMPTY_FILE', async () => {
    const content = 'order,shipment,lpn,sku,qty,unit\nRESEND-1,S-RS,L1,SKU1,1,CASE\n';
    const typo = await drop('shipper', 'ordrs_typo.txt', content);
    expect(typo.json.file.error?.code).toBe('NO_MAPPING');
    const fixed = await drop('shipper', 'orders_fixed.csv', content);
    expect(fixed.json.file.state).toBe('COMPLETED');
    const again = await drop('shipper', 'empty-again.csv', '');
    expect(again.json.file).toMatchObject({ state: 'REJECTED', error: { code: 'EMPTY_FILE' } });
  });

  it('records the whole story in the ledger', async () => {
    const { rows } = await product.db.query<{ id: string }>(`SELECT id FROM gateway.files WHERE original_name = 'orders.csv' AND customer = 'shipper'`);
    const file = await getFile(product.db, rows[0]!.id);
    expect(file).toMatchObject({ state: 'COMPLETED', document_count: 2, mapping_name: 'orders' });
    const { rows: events } = await product.db.query<{ state: string }>('SELECT state FROM gateway.file_events WHERE file_id = $1 ORDER BY id', [file!.id]);
    expect(events.map((e) => e.state)).toEqual(['RECEIVED', 'QUEUED', 'PARSING', 'SUBMITTING', 'COMPLETED', 'DELIVERED']);
  });
});
