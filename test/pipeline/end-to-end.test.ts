import { orderCsvMapping } from '../support/order-csv-mapping.ts';
import { waitFor } from '../support/wait-for.ts';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFile } from '../../src/ledger/files-repo.ts';
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
    product = await startProduct({ mappingsDir });
    dropDir = gatewayPaths(product.env).dropDir;
  }, 120_000);
  afterAll(async () => {
    await product?.stop();
    rmSync(mappingsDir, { recursive: true, force: true });
  });

  async function drop(customer: string, name: string, content: string): Promise<{ csv: string; json: { file: { state: string; error: { code: string; message: string } | null }; documents: { outcome: string; error: { code: string; message: string } | null }[] } }> {
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

  it('answers the same file sent again with a DUPLICATE result and applies nothing twice', async () => {
    const content = 'order,shipment,lpn,sku,qty,unit\nDUP-1,S-DUP,L1,SKU1,1,CASE\n';
    const first = await drop('shipper', 'dup-a.csv', content);
    const second = await drop('shipper', 'dup-b.csv', content);
    expect(first.json.file.state).toBe('COMPLETED');
    expect(second.json.file.state).toBe('DUPLICATE');
    expect(second.json.file.error?.message).toMatch(/same content/);
  });

  it('records the whole story in the ledger', async () => {
    const { rows } = await product.db.query<{ id: string }>(`SELECT id FROM gateway.files WHERE original_name = 'orders.csv' AND customer = 'shipper'`);
    const file = await getFile(product.db, rows[0]!.id);
    expect(file).toMatchObject({ state: 'COMPLETED', document_count: 2, mapping_name: 'orders' });
    const { rows: events } = await product.db.query<{ state: string }>('SELECT state FROM gateway.file_events WHERE file_id = $1 ORDER BY id', [file!.id]);
    expect(events.map((e) => e.state)).toEqual(['RECEIVED', 'QUEUED', 'PARSING', 'SUBMITTING', 'COMPLETED', 'DELIVERED']);
  });
});
