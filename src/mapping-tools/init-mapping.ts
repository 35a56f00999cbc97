import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { IntakeErrorValue } from '../errors/intake-error.ts';
import { FORMAT_OPTION_SCHEMAS } from '../formats/read-records.ts';
import { loadMappings } from '../mapping/load-mappings.ts';
import { sniffFormat } from '../pipeline/sniff-format.ts';
import { draftTabularMapping, readSampleColumns, x12Template } from './draft-mapping.ts';

export interface InitOptions {
  mappingsDir: string;
  customer: string;
  sample: string;
  /** Mapping name (file `<name>.yaml`); default from the sample's name. */
  name?: string;
  force?: boolean;
  /** For a new customer.yaml only. */
  business?: string;
  facility?: string;
  direction?: 'INBOUND' | 'OUTBOUND';
}

export type InitResult =
  | { ok: true; mappingFile: string; customerFile?: string; text: string }
  | { ok: false; errors: IntakeErrorValue[]; mappingFile?: string };

/** `orders_2024-03.csv` → `orders`; `ASN 856.edi` → `asn-856`. */
export function mappingNameOf(sample: string): string {
  const stem = basename(sample).replace(/\.[^.]+$/, '').toLowerCase();
  const name = stem.replace(/[^a-z0-9]+/g, '-').replace(/-?\d{4,}.*$/, '').replace(/^-+|-+$/g, '');
  return name || 'orders';
}

/**
 * Writes a draft mapping for a sample (and customer.yaml when the customer is new), then loads the folder the way
 * the gateway does: a draft that does not compile is a bug of the drafting, reported as such.
 */
export async function initMapping(options: InitOptions): Promise<InitResult> {
  const bytes = new Uint8Array(await readFile(options.sample));
  const fileName = basename(options.sample);
  const sniffed = sniffFormat(bytes.subarray(0, 4096));
  let text: string;
  let name = options.name;
  let direction = options.direction;
  if (sniffed.format === 'x12') {
    const set = sniffed.transactionSet ?? '';
    const template = x12Template(set);
    if (!template) {
      return { ok: false, errors: [{ code: 'INIT_UNSUPPORTED', message: `no template for X12 transaction set ${set || '(unknown)'}; templates exist for 856 and 940`, place: { file: fileName } }] };
    }
    text = template;
    name ??= set === '856' ? 'asn-856' : `orders-${set}`;
    direction ??= set === '856' ? 'INBOUND' : 'OUTBOUND';
  } else if (sniffed.format === undefined || sniffed.format === 'xlsx') {
    const read = await readSampleColumns(bytes, fileName);
    // Text without a delimiter reads as one column holding whole lines: a draft of it would compile and mean
    // nothing. Such files are fixed width (or not tabular at all), whose layout no sample can reveal.
    if (read.type === 'csv' && read.columns.length < 2) {
      return {
        ok: false,
        errors: [
          {
            code: 'INIT_UNSUPPORTED',
            message: `init drafts CSV, xlsx and X12 856/940 mappings; ${fileName} has no delimiter (each line reads as one column): if it is fixed width, copy the fixed-width example (mappings/meridian/orders-fixed.yaml) and write its layout from the customer's record specification (docs/writing-a-mapping.md, "Fixed-width files")`,
            place: { file: fileName },
          },
        ],
      };
    }
    text = draftTabularMapping({ customer: options.customer, fileName, format: { type: read.type, options: read.options }, columns: read.columns });
  } else {
    return { ok: false, errors: [{ code: 'INIT_UNSUPPORTED', message: `init drafts CSV, xlsx and X12 856/940 mappings; ${fileName} looks like ${sniffed.format}`, place: { file: fileName } }] };
  }
  name ??= mappingNameOf(fileName);

  const dir = join(options.mappingsDir, options.customer);
  const mappingFile = join(dir, `${name}.yaml`);
  if (existsSync(mappingFile) && !options.force) {
    return { ok: false, errors: [{ code: 'INIT_EXISTS', message: `${mappingFile} exists; pass --force to overwrite it (or --name for another mapping)`, place: { file: mappingFile } }] };
  }
  await mkdir(dir, { recursive: true });
  let customerFile: string | undefined;
  if (!existsSync(join(dir, 'customer.yaml'))) {
    customerFile = join(dir, 'customer.yaml');
    await writeFile(
      customerFile,
      [
        '# yaml-language-server: $schema=../customer.schema.json',
        `# Written by \`intake mapping init\`: check business, facility and direction with the account team.`,
        `name: ${JSON.stringify(options.customer)}`,
        `business: ${JSON.stringify(options.business ?? options.customer)}`,
        `facility: ${JSON.stringify(options.facility ?? 'main')}`,
        `# OUTBOUND: orders to ship out; INBOUND: receipts and ASNs of goods coming in.`,
        `direction: ${direction ?? 'OUTBOUND'}`,
        'timeZone: UTC',
        '# How files arrive (sftp, email, remote sftp) is added when the customer goes live.',
        'channels: {}',
        '',
      ].join('\n'),
    );
  }
  await writeFile(mappingFile, text);
  const loaded = await loadMappings(dir, { formatOptions: FORMAT_OPTION_SCHEMAS });
  if (!loaded.ok) return { ok: false, errors: loaded.errors, mappingFile };
  return { ok: true, mappingFile, ...(customerFile ? { customerFile } : {}), text };
}
