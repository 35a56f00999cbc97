import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayPaths } from '../../src/gateway/start-gateway.ts';
import { startProduct, type RunningProduct } from '../support/running-product.ts';

/** The demo customer bluefin's sample 856, as two transaction sets; the second one's SE01 count is wrong. */
function twoSetFile(): string {
  const lines = readFileSync('samples/bluefin/ASN_250303_01.edi', 'utf8').split('\n').filter((line) => line.trim() !== '');
  const set = lines.slice(2, lines.findIndex((line) => line.startsWith('SE*')) + 1);
  const second = set
    .map((line) => line.replace('ST*856*0001', 'ST*856*0002').replace(/PO-550(\d\d)/g, 'PO-660$1').replace('ASN-250303-01', 'ASN-250303-02'))
    .map((line) => (line.startsWith('SE*') ? 'SE*99*0002~' : line));
  return [lines[0], lines[1], ...set, ...second, 'GE*2*4711~', 'IEA*1*000004711~', ''].join('\n');
}

/**
 * Three sets in one group: 0001 (PO-550xx), 0002 (PO-660xx), then 0001 again (PO-880xx) with a wrong SE01. The
 * repeated ST02 must be refused on its own, without taking the accepted sets that share or neighbour it along.
 */
function repeatedControlNumberFile(): string {
  const lines = readFileSync('samples/bluefin/ASN_250303_01.edi', 'utf8').split('\n').filter((line) => line.trim() !== '');
  const set = lines.slice(2, lines.findIndex((line) => line.startsWith('SE*')) + 1);
  const copy = (control: string, po: string, asn: string, se01?: string) =>
    set
      .map((line) => line.replace('ST*856*0001', `ST*856*${control}`).replace(/PO-550(\d\d)/g, `${po}$1`).replace('ASN-250303-01', asn))
      .map((line) => (line.startsWith('SE*') ? `SE*${se01 ?? line.split('*')[1]}*${control}~` : line));
  return [lines[0], lines[1], ...copy('0001', 'PO-550', 'ASN-250303-01'), ...copy('0002', 'PO-660', 'ASN-250303-02'), ...copy('0001', 'PO-880', 'ASN-250303-03', '50'), 'GE*3*4711~', 'IEA*1*000004711~', ''].join('\n');
}

describe('an X12 file with one bad transaction set', () => {
  let product: RunningProduct;
  beforeAll(async () => {
    product = await startProduct({ mappingsDir: resolve('mappings') });
  }, 120_000);
  afterAll(async () => product?.stop());

  it('applies the good set, voids every document of the bad one, and says so in the result and the 997', async () => {
    const inbound = join(gatewayPaths(product.env).dropDir, 'bluefin', 'inbound');
    mkdirSync(inbound, { recursive: true });
    writeFileSync(join(inbound, 'ASN_two_sets.edi'), twoSetFile());
    const outbound = join(gatewayPaths(product.env).dropDir, 'bluefin', 'outbound');
    const ack = join(outbound, 'ASN_two_sets.edi.997.x12');
    // Results are delivered one by one (the 997 sorts first): wait for the last of them, the JSON.
    for (let i = 0; i < 300 && !(existsSync(ack) && existsSync(ack.replace(/\.997\.x12$/, '.result.json'))); i++) await new Promise((r) => setTimeout(r, 100));
    const result = JSON.parse(readFileSync(join(outbound, 'ASN_two_sets.edi.result.json'), 'utf8')) as {
      file: { state: string };
      documents: { orderNumber: string; outcome: string; error: { code: string } | null }[];
    };
    expect(result.file.state).toBe('PARTIAL');
    const byOrder = Object.fromEntries(result.documents.filter((d) => d.orderNumber).map((d) => [d.orderNumber, d.outcome]));
    expect(byOrder).toEqual({ 'PO-55012': 'ACCEPTED', 'PO-55013': 'ACCEPTED', 'PO-66012': 'REJECTED', 'PO-66013': 'REJECTED' });
    const { rows } = await product.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM engine.orders WHERE order_number LIKE 'PO-660%'`);
    expect(rows[0]?.n).toBe(0);
    const ack997 = readFileSync(ack, 'utf8');
    expect(ack997).toMatch(/AK2\*856\*0001~\s*AK5\*A~/);
    expect(ack997).toMatch(/AK2\*856\*0002~[\s\S]*?AK5\*R\*4~/);
    expect(ack997).toMatch(/AK9\*P\*2\*2\*1~/);
  }, 60_000);

  it('a repeated ST02 refuses only the repeat (AK5 23): the sets acknowledged as accepted are applied', async () => {
    const inbound = join(gatewayPaths(product.env).dropDir, 'bluefin', 'inbound');
    mkdirSync(inbound, { recursive: true });
    writeFileSync(join(inbound, 'ASN_repeated_st02.edi'), repeatedControlNumberFile().replace(/PO-(550|660|880)/g, 'PO-9$1'));
    const outbound = join(gatewayPaths(product.env).dropDir, 'bluefin', 'outbound');
    const ack = join(outbound, 'ASN_repeated_st02.edi.997.x12');
    // Results are delivered one by one (the 997 sorts first): wait for the last of them, the JSON.
    for (let i = 0; i < 300 && !(existsSync(ack) && existsSync(ack.replace(/\.997\.x12$/, '.result.json'))); i++) await new Promise((r) => setTimeout(r, 100));
    const result = JSON.parse(readFileSync(join(outbound, 'ASN_repeated_st02.edi.result.json'), 'utf8')) as {
      documents: { orderNumber: string; outcome: string; error: { code: string }[] | { code: string } | null }[];
    };
    const byOrder = Object.fromEntries(result.documents.filter((d) => d.orderNumber).map((d) => [d.orderNumber, d.outcome]));
    expect(byOrder).toEqual({ 'PO-955012': 'ACCEPTED', 'PO-955013': 'ACCEPTED', 'PO-966012': 'ACCEPTED', 'PO-966013': 'ACCEPTED' });
    expect(JSON.stringify(result.documents.filter((d) => !d.orderNumber))).toContain('X12_ST_DUPLICATE_CONTROL');
    const { rows } = await product.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM engine.orders WHERE order_number LIKE 'PO-9%'`);
    expect(rows[0]?.n).toBe(4);
    const ack997 = readFileSync(ack, 'utf8');
    expect(ack997).toMatch(/AK2\*856\*0001~\s*AK5\*A~[\s\S]*AK2\*856\*0002~\s*AK5\*A~[\s\S]*AK2\*856\*0001~\s*AK5\*R\*23/);
  }, 60_000);

  it('maps and validates a test interchange (ISA15 = T) but submits nothing, and the result says so', async () => {
    const sample = readFileSync('samples/bluefin/ASN_250303_01.edi', 'utf8').replace(/\*P\*>~/, '*T*>~').replace(/PO-550(\d\d)/g, 'PO-770$1');
    expect(sample).toContain('*T*>~');
    const inbound = join(gatewayPaths(product.env).dropDir, 'bluefin', 'inbound');
    writeFileSync(join(inbound, 'ASN_test_mode.edi'), sample);
    const outbound = join(gatewayPaths(product.env).dropDir, 'bluefin', 'outbound');
    const json = join(outbound, 'ASN_test_mode.edi.result.json');
    for (let i = 0; i < 300 && !existsSync(json); i++) await new Promise((r) => setTimeout(r, 100));
    const result = JSON.parse(readFileSync(json, 'utf8')) as { file: { state: string; testMode: boolean }; documents: { outcome: string }[] };
    expect(result.file).toMatchObject({ state: 'COMPLETED', testMode: true });
    expect(result.documents.map((d) => d.outcome)).toEqual(['TEST_ONLY', 'TEST_ONLY']);
    const { rows } = await product.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM engine.orders WHERE order_number LIKE 'PO-770%'`);
    expect(rows[0]?.n).toBe(0);
    expect(readFileSync(join(outbound, 'ASN_test_mode.edi.997.x12'), 'utf8')).toMatch(/^ISA(\*[^*]*){14}\*T\*/);
  }, 60_000);
});

/**
 * Two ASNs for the same POs in one group, `bad` of them (0 or 1) with a wrong SE01; the second with its own ASN
 * number and pallets. `po` replaces the sample's PO-550 prefix.
 */
function twoAsnsForOnePo(po: string, bad: 0 | 1): string {
  const lines = readFileSync('samples/bluefin/ASN_250303_01.edi', 'utf8').split('\n').filter((line) => line.trim() !== '');
  const set = lines.slice(2, lines.findIndex((line) => line.startsWith('SE*')) + 1).map((line) => line.replace(/PO-550/g, po));
  const second = set.map((line) => line.replace('ST*856*0001', 'ST*856*0002').replace('ASN-250303-01', 'ASN-250303-02').replace('MAN*GM*0001234567', 'MAN*GM*0009876543').replace('SE*49*0001', 'SE*49*0002'));
  const sets = [set, second];
  sets[bad] = sets[bad]!.map((line) => line.replace(/^SE\*49\*/, 'SE*99*'));
  return [lines[0], lines[1], ...sets.flat(), 'GE*2*4711~', 'IEA*1*000004711~', ''].join('\n');
}

describe('two ASNs for one PO in a file, one of them refused, through a mapping that groups by PO alone', () => {
  let product: RunningProduct;
  let mappingsDir: string;
  beforeAll(async () => {
    // The demo mapping as it was: documents group records of both sets, so voiding one set's documents voids data of the other.
    mappingsDir = mkdtempSync(join(tmpdir(), 'po-grouping-'));
    cpSync(resolve('mappings', 'bluefin'), join(mappingsDir, 'bluefin'), { recursive: true });
    const mapping = join(mappingsDir, 'bluefin', 'asn-856.yaml');
    // Without `consistent` on shipmentNumber (the demo mapping refuses a PO on two ASNs itself since): this is about
    // what voiding does, so both sets' records must make one document.
    const demo = readFileSync(mapping, 'utf8').replace(/^groupBy: .*$/m, 'groupBy: O.PRF01 | trim');
    writeFileSync(mapping, demo.replace(/^ {2}shipmentNumber: .*$/m, '  shipmentNumber: BSN02 | trim'));
    product = await startProduct({ mappingsDir });
  }, 120_000);
  afterAll(async () => {
    await product?.stop();
    rmSync(mappingsDir, { recursive: true, force: true });
  });

  it.each([
    ['second', 1, 'PO-881', 'AK2\\*856\\*0001~\\s*AK5\\*R~\\s*AK2\\*856\\*0002~\\s*AK5\\*R\\*4~'],
    ['first', 0, 'PO-882', 'AK2\\*856\\*0001~\\s*AK5\\*R\\*4~\\s*AK2\\*856\\*0002~\\s*AK5\\*R~'],
  ] as const)('the %s set refused: nothing of either is applied, and the 997 says R for both, never A for the one whose data went with it', async (_which, bad, po, ak5s) => {
    const name = `ASN_two_for_${po}.edi`;
    const inbound = join(gatewayPaths(product.env).dropDir, 'bluefin', 'inbound');
    mkdirSync(inbound, { recursive: true });
    writeFileSync(join(inbound, name), twoAsnsForOnePo(po, bad));
    const outbound = join(gatewayPaths(product.env).dropDir, 'bluefin', 'outbound');
    const ack = join(outbound, `${name}.997.x12`);
    for (let i = 0; i < 300 && !(existsSync(ack) && existsSync(ack.replace(/\.997\.x12$/, '.result.json'))); i++) await new Promise((r) => setTimeout(r, 100));
    const ack997 = readFileSync(ack, 'utf8');
    expect(ack997).toMatch(new RegExp(ak5s));
    expect(ack997).toContain('AK9*R*2*2*0~');
    const result = JSON.parse(readFileSync(join(outbound, `${name}.result.json`), 'utf8')) as { documents: { orderNumber: string; outcome: string; error: { code: string } | null }[] };
    expect(result.documents.filter((d) => d.orderNumber).map((d) => [d.orderNumber, d.outcome])).toEqual([[`${po}12`, 'REJECTED'], [`${po}13`, 'REJECTED']]);
    expect(result.documents.filter((d) => !d.orderNumber).map((d) => d.error?.code)).toEqual(['X12_SE_COUNT_MISMATCH', 'X12_SET_REFUSED_WITH_OTHER']);
    const { rows } = await product.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM engine.orders WHERE order_number LIKE $1`, [`${po}%`]);
    expect(rows[0]?.n).toBe(0);
  }, 60_000);
});
