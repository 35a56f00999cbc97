import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diffEntries } from '../../src/mapping-tools/golden-samples.ts';
import { inferCustomer } from '../../src/mapping-tools/mapping-folders.ts';
import { runMappingCli } from './mapping-cli.ts';

const root = join(import.meta.dirname, '..', '..');

/** A copy of the demo mappings and samples in a temp folder of the test's own, so edits touch nothing shared. */
let work: string;
let mappings: string;
let samples: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'mapping-tools-'));
  mappings = join(work, 'mappings');
  samples = join(work, 'samples');
  cpSync(join(root, 'mappings'), mappings, { recursive: true });
  cpSync(join(root, 'samples'), samples, { recursive: true });
});
afterEach(() => rmSync(work, { recursive: true, force: true }));
const folders = () => ['--mappings', mappings, '--samples', samples];

describe('intake mapping validate', () => {
  it('passes the demo customers with exit code 0', async () => {
    const { out, code } = await runMappingCli(['validate', ...folders()]);
    expect(code).toBe(0);
    expect(out).toContain('✓ northwind: 1 mapping (orders)');
  });

  it('reads the mappings in MAPPINGS_DIR when --mappings is not given, and --mappings still wins', async () => {
    const previous = process.env.MAPPINGS_DIR;
    process.env.MAPPINGS_DIR = mappings;
    try {
      const file = join(mappings, 'northwind', 'orders.yaml');
      writeFileSync(file, readFileSync(file, 'utf8').replace('quantity: Qty | number', 'quantity: Qty | nubmer'));
      const fromEnv = await runMappingCli(['validate', 'northwind', '--samples', samples]);
      expect(fromEnv.code).toBe(1);
      expect(fromEnv.out).toContain(join(mappings, 'northwind', 'orders.yaml'));
      const explicit = await runMappingCli(['validate', 'northwind', '--mappings', join(root, 'mappings')]);
      expect(explicit.code).toBe(0);
    } finally {
      if (previous === undefined) delete process.env.MAPPINGS_DIR;
      else process.env.MAPPINGS_DIR = previous;
    }
  });

  it('places a misspelt transform at file:line:column with the field and a suggestion, exit code 1', async () => {
    const file = join(mappings, 'northwind', 'orders.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('quantity: Qty | number', 'quantity: Qty | nubmer'));
    const { out, code } = await runMappingCli(['validate', 'northwind', ...folders()]);
    expect(code).toBe(1);
    expect(out).toMatch(/mappings\/northwind\/orders\.yaml:\d+:\d+ items\.quantity: .*"nubmer".*did you mean "number"/);
  });
  it("refuses an SFTP username another customer already has, for both customers, even when only one is checked", async () => {
    const file = join(mappings, 'northwind', 'customer.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('username: northwind', 'username: bluefin'));
    const { out, code } = await runMappingCli(['validate', 'northwind', ...folders()]);
    expect(code).toBe(1);
    expect(out).toMatch(/mappings\/northwind\/customer\.yaml channels\.sftp\.username: SFTP username "bluefin" is claimed by customers "bluefin" and "northwind"/);
    const all = await runMappingCli(['validate', ...folders()]);
    expect(all.out).toMatch(/mappings\/bluefin\/customer\.yaml channels\.sftp\.username: SFTP username "bluefin"/);
  });

  it('finds two mappings that would tie on a file before one comes (MAPPING_AMBIGUOUS), naming an example name', async () => {
    const orders = readFileSync(join(mappings, 'northwind', 'orders.yaml'), 'utf8');
    writeFileSync(join(mappings, 'northwind', 'backorders.yaml'), orders.replace(/match:[^\n]*\n(?:\s+.*\n)*?(?=\S)/, 'match: { fileName: ["*.csv"] }\n'));
    const { out, code } = await runMappingCli(['validate', 'northwind', ...folders()]);
    expect(code).toBe(1);
    expect(out).toMatch(/northwind\/(orders|backorders)\.yaml match: backorders, orders all match "[^"]+\.csv" with priority 0/);
  });

  it('checks channels.sftp as the SFTP server will read it', async () => {
    const file = join(mappings, 'northwind', 'customer.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('username: northwind', 'username: North Wind'));
    const { out, code } = await runMappingCli(['validate', 'northwind', ...folders()]);
    expect(code).toBe(1);
    expect(out).toMatch(/customer\.yaml channels\.sftp\.username: lower-case letters/);
  });
});

describe('intake mapping preview', () => {
  it('infers the customer from samples/<customer>/ and shows rejected documents inline', async () => {
    const { out, code } = await runMappingCli(['preview', join(samples, 'northwind', 'orders_20250303.csv'), ...folders()]);
    expect(out).toContain('customer northwind, mapping orders');
    expect(out).toMatch(/✗ #2 {2}NW-10003 {2}REJECTED {2}line 7\n.*line 7, column "Qty", field items\.quantity: expected a number, got "ten"/);
    expect(out).toContain('3 documents, 1 rejected, 0 skipped rows from 7 records');
    expect(code).toBe(1);
  });

  it("places an error in a fixed-width header field on the header record's line, not on the detail's", async () => {
    const sample = join(samples, 'meridian', 'MPM0310.DAT');
    // Line 1 is the HD record of order MP-3301: a ship date that is no date.
    writeFileSync(sample, readFileSync(sample, 'utf8').replace('20250310', '2025131X'));
    const { out, code } = await runMappingCli(['preview', sample, ...folders()]);
    expect(out).toContain('MPM0310.DAT line 1, column "order.shipDate", field document.expectedArrivalAt');
    expect(out).not.toMatch(/line 2, column "order\.shipDate"/);
    expect(code).toBe(1);
  });

  it('says which documents shown a refused X12 set voids, as the gateway will', async () => {
    const sample = join(samples, 'bluefin', 'ASN_250303_01.edi');
    writeFileSync(sample, readFileSync(sample, 'latin1').replace('SE*49*0001', 'SE*48*0001'), 'latin1');
    const { out, code } = await runMappingCli(['preview', sample, ...folders()]);
    expect(out).toMatch(/✗ X12 transaction 856 #0001 rejected/);
    expect(out).toMatch(/documents #0, #1 above were made from it: the gateway voids them \(never submitted\)/);
    expect(out).toContain('1 X12 envelope rejected (voiding 2 of the documents)');
    expect(code).toBe(1);
  });

  it('text after the IEA refuses the whole file as the gateway does: no document shown is said to be kept', async () => {
    const sample = join(samples, 'bluefin', 'ASN_250303_01.edi');
    writeFileSync(sample, `${readFileSync(sample, 'latin1')}\nEND OF FILE\n`, 'latin1');
    const { out, code } = await runMappingCli(['preview', sample, ...folders()]);
    expect(out).toMatch(/✗ FILE REJECTED: .*"END OF FILE".*\[X12_DATA_AFTER_IEA\]/);
    expect(out).toMatch(/documents #0, #1 above are never submitted: the gateway refuses the whole file/);
    expect(out).not.toContain('✗ X12 file rejected');
    expect(out).toContain('2 documents, 0 rejected, 0 skipped rows, FILE REJECTED after 4 records read');
    expect(code).toBe(1);
  });

  it('whitespace, NULs and Ctrl-Z after the IEA are not data: the file previews clean', async () => {
    const sample = join(samples, 'bluefin', 'ASN_250303_01.edi');
    writeFileSync(sample, `${readFileSync(sample, 'latin1')}\r\n  \t\0\0\x1a`, 'latin1');
    const { out, code } = await runMappingCli(['preview', sample, ...folders()]);
    expect(out).toContain('2 documents, 0 rejected, 0 skipped rows from 4 records\n');
    expect(code).toBe(0);
  });

  it('a file cut before its GE and IEA counts each voided document once, though group and interchange both void it', async () => {
    const sample = join(samples, 'bluefin', 'ASN_250303_01.edi');
    writeFileSync(sample, readFileSync(sample, 'latin1').replace(/GE\*[\s\S]*$/, ''), 'latin1');
    const { out, code } = await runMappingCli(['preview', sample, ...folders()]);
    expect(out).toMatch(/✗ X12 group rejected[\s\S]*✗ X12 interchange rejected/);
    expect(out).toContain('2 documents, 0 rejected, 0 skipped rows, 2 X12 envelopes rejected (voiding 2 of the documents) from 4 records');
    expect(code).toBe(1);
  });

  it('prints JSON and stops at --limit', async () => {
    const { out, err } = await runMappingCli(['preview', join(samples, 'harbor', 'Manifest_2025-03-12.xlsx'), '--format', 'json', '--limit', '1', ...folders()]);
    const entries = JSON.parse(out) as { kind: string; document: { orderNumber: string } }[];
    expect(entries.map((e) => e.document.orderNumber)).toEqual(['HB-7001']);
    expect(err).toContain('stopped at --limit 1');
  });

  it('infers the customer only from a customer folder', () => {
    const f = { mappingsDir: mappings, samplesDir: samples };
    expect(inferCustomer(join(samples, 'bluefin', 'x.edi'), f)).toBe('bluefin');
    expect(inferCustomer(join(work, 'x.edi'), f)).toBeUndefined();
  });
});

describe('intake mapping test', () => {
  it('passes every demo sample', async () => {
    const { out, code } = await runMappingCli(['test', ...folders()]);
    expect(code).toBe(0);
    expect(out).toMatch(/6 samples: 6 passed, 0 failed/);
  });

  it('shows a changed mapping as field paths, golden → now, and --update rewrites the golden file', async () => {
    const file = join(mappings, 'meridian', 'orders-fixed.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('quantityUnit: unit | upper', 'quantityUnit: unit | lower'));
    const failed = await runMappingCli(['test', 'meridian', ...folders()]);
    expect(failed.code).toBe(1);
    expect(failed.out).toContain('#0 document (order MP-3301) document.items[0].quantityUnit: "RL" → "rl"');
    const updated = await runMappingCli(['test', 'meridian', '--update', ...folders()]);
    expect(updated.out).toContain('golden files written');
    expect((await runMappingCli(['test', 'meridian', ...folders()])).code).toBe(0);
  });

  it('diffs report entries that appear or disappear', () => {
    expect(diffEntries([{ kind: 'document', index: 0, document: { orderNumber: 'A' } }], [])).toEqual([
      '#0 document (order A): entry gone (was {"kind":"document","index":0,"document":{"orderNumber":"A"}})',
    ]);
  });
});
