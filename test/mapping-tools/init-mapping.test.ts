import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { guessColumns, loadHeaderSynonyms, normaliseHeader, shapeOf } from '../../src/mapping-tools/draft-mapping.ts';
import { initMapping } from '../../src/mapping-tools/init-mapping.ts';
import { mapSample } from '../../src/mapping-tools/run-mapping.ts';

const root = join(import.meta.dirname, '..', '..');
let mappings: string;
let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'mapping-init-'));
  mappings = join(work, 'mappings');
  mkdirSync(mappings);
  cpSync(join(root, 'mappings', 'mapping.schema.json'), join(mappings, 'mapping.schema.json'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

describe('header synonyms and value shapes', () => {
  const synonyms = loadHeaderSynonyms();
  const guess = (columns: Record<string, string[]>) =>
    Object.fromEntries(guessColumns(Object.entries(columns).map(([name, values]) => ({ name, values })), synonyms).guesses.map((g) => [g.column, g.target]));

  it('reads PO#, Order No, Qty, UOM, Consignee, SKU, Part as their fields', () => {
    expect(normaliseHeader('PO#')).toBe(normaliseHeader('PO Number'));
    expect(guess({ 'PO#': ['4500'], 'Order No': ['A1'], Qty: ['3'], UOM: ['EA'], Consignee: ['X'], Part: ['P-1'] })).toEqual({
      'PO#': 'document.purchaseOrder',
      'Order No': 'document.orderNumber',
      Qty: 'items.quantity',
      UOM: 'items.quantityUnit',
      Consignee: 'document.consigneeName',
      Part: 'items.sku',
    });
  });

  it('takes an 18-digit column for the lpn by its values alone, and dates by theirs', () => {
    expect(guess({ Ref: ['003456789012345678', '003456789012345685'], When: ['20250304'] })).toEqual({ Ref: 'items.lpn', When: 'document.expectedArrivalAt' });
  });

  it('tells date shapes and decimal commas apart', () => {
    expect(shapeOf(['07.03.2025', '11.03.2025']).dateFormats).toEqual(['d.M.yyyy']);
    expect(shapeOf(['03/04/2025', '12/05/2025']).dateFormats).toEqual(['M/d/yyyy']);
    expect(shapeOf(['13/04/2025']).dateFormats).toEqual(['d/M/yyyy']);
    expect(shapeOf(['20250304']).dateFormats).toEqual(['yyyyMMdd']);
    expect(shapeOf(['12,5', '3']).decimalComma).toBe(true);
    expect(shapeOf(['12.5', '3']).decimalComma).toBe(false);
  });
});

describe('intake mapping init', () => {
  it('refuses a fixed-width sample (no delimiter: one column of whole lines) with INIT_UNSUPPORTED and writes nothing', async () => {
    const sample = join(work, 'FW0307.TXT');
    writeFileSync(sample, 'H0001FW-100     20250307\nD003456789012345678SKU-1     00012CS\nD003456789012345685SKU-2     00003CS\n');
    const result = await initMapping({ mappingsDir: mappings, customer: 'fwco', sample });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]).toMatchObject({ code: 'INIT_UNSUPPORTED', place: { file: 'FW0307.TXT' } });
    expect(result.errors[0]?.message).toMatch(/no delimiter.*fixed width.*mappings\/meridian\/orders-fixed\.yaml/);
    expect(existsSync(join(mappings, 'fwco'))).toBe(false);
  });

  it('drafts a compiling mapping from a Windows-1252 semicolon CSV with decimal commas and dd.mm.yyyy dates', async () => {
    const sample = join(work, 'orders_0301.csv');
    const text = 'Order;PO#;Consignee;Delivery Date;SSCC;Item;Qty;Unit;Remark\r\nA-1;4500;Müller & Söhne;07.03.2025;340123450000000017;X1;12,5;KG;fragile\r\nA-1;4500;Müller & Söhne;07.03.2025;340123450000000024;X2;3;KG;\r\n';
    writeFileSync(sample, iconv.encode(text, 'windows-1252'));
    const result = await initMapping({ mappingsDir: mappings, customer: 'newco', sample, business: 'acme', facility: 'nyc' });
    expect(result.ok, JSON.stringify(result)).toBe(true);
    const yaml = readFileSync(join(mappings, 'newco', 'orders.yaml'), 'utf8');
    expect(yaml).toMatch(/^# yaml-language-server: \$schema=\.\.\/mapping\.schema\.json/);
    expect(yaml).toContain('encoding: "windows-1252"');
    expect(yaml).toMatch(/# purchaseOrder ← "PO#": confidence 0\.\d+; header "PO#" is a synonym/);
    expect(yaml).toContain('decimalComma: true');
    expect(yaml).toContain('format: "d.M.yyyy", output: datetime');
    expect(yaml).toMatch(/# Columns not mapped.*\n#\s+"Remark": e\.g\. "fragile"/);
    const mapped = await mapSample({ mappingsDir: mappings, customer: 'newco', file: sample });
    expect(mapped.ok && mapped.entries.map((e) => e.kind)).toEqual(['document']);
    const doc = mapped.ok && mapped.entries[0]!.kind === 'document' ? (mapped.entries[0]!.document as Record<string, unknown>) : {};
    expect(doc).toMatchObject({ orderNumber: 'A-1', purchaseOrder: '4500', consigneeName: 'Müller & Söhne', expectedArrivalAt: '2025-03-07T00:00:00Z' });
    expect((doc.items as { quantity: number }[])[0]!.quantity).toBe(12.5);
  });

  it('refuses to overwrite a mapping without --force', async () => {
    const sample = join(root, 'samples', 'northwind', 'orders_20250303.csv');
    expect((await initMapping({ mappingsDir: mappings, customer: 'nw', sample })).ok).toBe(true);
    const again = await initMapping({ mappingsDir: mappings, customer: 'nw', sample });
    expect(again.ok ? '' : again.errors[0]!.code).toBe('INIT_EXISTS');
    expect((await initMapping({ mappingsDir: mappings, customer: 'nw', sample, force: true })).ok).toBe(true);
  });

  it('drafts compiling mappings for the xlsx manifest (header below a title row) and X12 856/940 templates', async () => {
    const xlsx = await initMapping({ mappingsDir: mappings, customer: 'hb', sample: join(root, 'samples', 'harbor', 'Manifest_2025-03-12.xlsx') });
    expect(xlsx.ok && xlsx.text).toContain('headerLine: 3');
    expect(xlsx.ok && xlsx.text).toMatch(/lpn ← "Pallet SSCC"/);
    const asn = await initMapping({ mappingsDir: mappings, customer: 'bf', sample: join(root, 'samples', 'bluefin', 'ASN_250303_01.edi') });
    expect(asn.ok && asn.mappingFile).toMatch(/asn-856\.yaml$/);
    const mapped = await mapSample({ mappingsDir: mappings, customer: 'bf', file: join(root, 'samples', 'bluefin', 'ASN_250303_01.edi') });
    expect(mapped.ok && mapped.entries.filter((e) => e.kind === 'document').length).toBe(2);
    const w940 = await initMapping({ mappingsDir: mappings, customer: 'cb', sample: join(root, 'samples', 'cobalt', '940_CB_20250304.edi') });
    expect(w940.ok).toBe(true);
    expect(existsSync(join(mappings, 'cb', 'customer.yaml'))).toBe(true);
  });
});
