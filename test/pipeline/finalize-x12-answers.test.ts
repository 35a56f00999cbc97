import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayPaths } from '../../src/gateway/start-gateway.ts';
import { startProduct, type RunningProduct } from '../support/running-product.ts';

/** One 940 order (W05 `order`) for the demo customer cobalt, in the given ISA, GS02 and segment terminator. */
function order940(isa: string, gs02: string, order: string, terminator = '~'): string {
  return [
    isa,
    `GS*OW*${gs02}*ACMENYC*20250304*0905*1101*X*004010`,
    'ST*940*0001',
    `W05*N*${order}*PO-${order}`,
    'N1*ST*RIVERSIDE HARDWARE*9*0073309140000',
    'LX*1',
    'W01*12*CA*012345600011*VN*HB-2201',
    'SE*6*0001',
    'GE*1*1101',
    'IEA*1*000001101',
  ].join(`${terminator}\n`) + `${terminator}\n`;
}

const ISA = (sender: string, version = '00401', isa11 = 'U') =>
  `ISA*00*          *00*          *ZZ*${sender.padEnd(15)}*ZZ*ACMENYC        *250304*0905*${isa11}*${version}*000001101*0*P*>`;

const A_997_GROUP = ['GS*FA*COBALT*ACMENYC*20250304*0905*1102*X*004010', 'ST*997*0001', 'AK1*SW*12', 'AK9*A*1*1*1', 'SE*4*0001', 'GE*1*1102'];

describe('X12 files the 997 used to stop: every one ends with its results', () => {
  let product: RunningProduct;
  let inbound: string;
  let outbound: string;
  beforeAll(async () => {
    product = await startProduct({ mappingsDir: resolve('mappings') });
    inbound = join(gatewayPaths(product.env).dropDir, 'cobalt', 'inbound');
    outbound = join(gatewayPaths(product.env).dropDir, 'cobalt', 'outbound');
    mkdirSync(inbound, { recursive: true });
  }, 120_000);
  afterAll(async () => product?.stop());

  /** Drops `text` as `name` and waits for its result JSON (delivered last); returns it and the 997s delivered. */
  async function drop(name: string, text: string): Promise<{ result: { file: { state: string; error: { code: string } | null }; documents: { orderNumber: string; outcome: string }[] }; acks: string[] }> {
    writeFileSync(join(inbound, name), text);
    const json = join(outbound, `${name}.result.json`);
    for (let i = 0; i < 300 && !existsSync(json); i++) await new Promise((r) => setTimeout(r, 100));
    const acks = readdirSync(outbound).filter((file) => file.startsWith(`${name}.`) && file.endsWith('.997.x12'));
    return { result: JSON.parse(readFileSync(json, 'utf8')), acks: acks.map((file) => readFileSync(join(outbound, file), 'utf8')) };
  }

  it('an ISA06 holding ~ and a GS02 holding ^, sent with ! as terminator: order applied, COMPLETED, 997 between !s', async () => {
    const { result, acks } = await drop('sepdata.edi', order940(ISA('ACME~SENDER').replace(/\*>$/, '*:'), 'ACME^SND', 'SEP-1', '!'));
    expect(result.file.state).toBe('COMPLETED');
    expect(result.documents.map((d) => [d.orderNumber, d.outcome])).toEqual([['SEP-1', 'ACCEPTED']]);
    expect(acks).toHaveLength(1);
    expect(acks[0]).toMatch(/^ISA\*00\* {10}\*00\* {10}\*ZZ\*ACMENYC {8}\*ZZ\*ACME~SENDER {4}\*\d{6}\*\d{4}\*U\*00401\*\d{9}\*0\*P\*:!\nGS\*FA\*ACMENYC\*ACME\^SND\*/);
    expect(acks[0]).toContain('\nAK5*A!\nAK9*A*1*1*1!\n');
  }, 60_000);

  it('an 856 set with one of its two orders refused by the mapping is acknowledged E (accepted, errors noted), never A', async () => {
    const bluefinIn = join(gatewayPaths(product.env).dropDir, 'bluefin', 'inbound');
    const bluefinOut = join(gatewayPaths(product.env).dropDir, 'bluefin', 'outbound');
    mkdirSync(bluefinIn, { recursive: true });
    // PO-55013's one item gets a quantity that is no number; PO-55012, in the same set, is fine.
    const text = readFileSync('samples/bluefin/ASN_250303_01.edi', 'latin1').replace('SN1**60*CA', 'SN1**6X0*CA').replace(/ASN-250303-01/g, 'ASN-250303-E1');
    writeFileSync(join(bluefinIn, 'ASN_E.edi'), text, 'latin1');
    const json = join(bluefinOut, 'ASN_E.edi.result.json');
    for (let i = 0; i < 300 && !existsSync(json); i++) await new Promise((r) => setTimeout(r, 100));
    const result = JSON.parse(readFileSync(json, 'utf8')) as { file: { state: string }; documents: { orderNumber: string; outcome: string }[] };
    expect(result.file.state).toBe('PARTIAL');
    expect(result.documents.map((d) => [d.orderNumber, d.outcome])).toEqual([['PO-55012', 'ACCEPTED'], ['PO-55013', 'REJECTED']]);
    const ack = readFileSync(join(bluefinOut, readdirSync(bluefinOut).find((f) => f.startsWith('ASN_E.edi.') && f.endsWith('.997.x12'))!), 'latin1');
    expect(ack).toMatch(/AK5\*E~\s*AK9\*E\*1\*1\*1~/);
  }, 60_000);

  it('an ISA06 longer than 15 characters is refused as a whole (X12_ISA_INVALID), with a result and no 997', async () => {
    const { result, acks } = await drop('longisa.edi', order940(ISA('COBALTTOOLSINC-EDI-01'), 'COBALT', 'LONG-2'));
    expect(result.file).toMatchObject({ state: 'REJECTED', error: { code: 'X12_ISA_INVALID' } });
    expect(acks).toEqual([]);
    const { rows } = await product.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM engine.orders WHERE order_number = 'LONG-2'`);
    expect(rows[0]?.n).toBe(0);
  }, 60_000);

  it('a 997 group beside the orders is neither a document, nor a rejection, nor answered: COMPLETED with one 997', async () => {
    const text = order940(ISA('COBALT'), 'COBALT', 'MX-1').replace('IEA*1*', `${A_997_GROUP.join('~\n')}~\nIEA*2*`);
    const { result, acks } = await drop('mix940_997.edi', text);
    expect(result.file.state).toBe('COMPLETED');
    expect(result.documents.map((d) => [d.orderNumber, d.outcome])).toEqual([['MX-1', 'ACCEPTED']]);
    expect(acks).toHaveLength(1);
    expect(acks[0]).toContain('AK1*OW*1101~');
    expect(acks[0]).not.toContain('AK1*FA');
  }, 60_000);

  it('a VAN batch whose 997 group comes before the orders gets the 940 mapping, not NO_MAPPING', async () => {
    const text = order940(ISA('COBALT'), 'COBALT', 'FF-2').replace(/^(ISA[^\n]*\n)/, `$1${A_997_GROUP.join('~\n')}~\n`).replace('IEA*1*', 'IEA*2*');
    const { result } = await drop('fa_first.edi', text);
    expect(result.file.state).toBe('COMPLETED');
    expect(result.documents.map((d) => [d.orderNumber, d.outcome])).toEqual([['FF-2', 'ACCEPTED']]);
  }, 60_000);

  it('a Windows-1252 interchange (ISA06 with the byte 0xDC, terminator 0x85) gets its 997 in the same bytes: an ISA of 106 bytes ending in 0x85', async () => {
    const text = order940(ISA('COBALTM\u00dcNCHEN'), 'COBALT', 'W1252-1', '\u0085');
    writeFileSync(join(inbound, 'w1252.edi'), Buffer.from(text, 'latin1'));
    const json = join(outbound, 'w1252.edi.result.json');
    for (let i = 0; i < 300 && !existsSync(json); i++) await new Promise((r) => setTimeout(r, 100));
    expect(JSON.parse(readFileSync(json, 'utf8')).documents.map((d: { outcome: string }) => d.outcome)).toEqual(['ACCEPTED']);
    const ack = readFileSync(join(outbound, 'w1252.edi.997.x12'));
    expect(ack.indexOf(0x85)).toBe(105);
    expect(ack.subarray(0, 106).toString('latin1')).toMatch(/^ISA\*00\*.*\*ZZ\*COBALTM\u00dcNCHEN  \*\d{6}\*/);
    expect(ack.toString('latin1')).toContain('\nAK5*A\u0085\nAK9*A*1*1*1\u0085\n');
  }, 60_000);

  it('a 00501 interchange is answered in 00501 with its own repetition separator', async () => {
    const { acks } = await drop('v5010.edi', order940(ISA('COBALT', '00501', '{'), 'COBALT', 'V5-1'));
    expect(acks[0]!.split('~\n')[0]!.split('*').slice(11, 13)).toEqual(['{', '00501']);
  }, 60_000);
});
