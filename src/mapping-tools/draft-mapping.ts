import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { detectEncoding, sniffDelimiter } from '../formats/csv/index.ts';
import { openRecords } from '../formats/read-records.ts';
import type { SourceRecord } from '../formats/record.ts';
import { sniffFormat } from '../pipeline/sniff-format.ts';

/**
 * `intake mapping init`: a first draft of a mapping from a sample file. Columns are matched to document fields by
 * the header synonyms (header-synonyms.yaml, data) and by what their values look like; every guess is written with
 * its confidence and reason, as a comment the engineer reviews. The draft compiles; it is a start, not a verdict.
 */

const SynonymsSchema = z.object({
  fields: z.array(
    z.object({
      target: z.string().regex(/^(document|items)\.[A-Za-z]+$/),
      shape: z.enum(['text', 'number', 'date', 'sscc']),
      synonyms: z.array(z.string().min(1)).min(1),
    }),
  ),
});
export type HeaderSynonyms = z.infer<typeof SynonymsSchema>;

export function loadHeaderSynonyms(file = join(import.meta.dirname, 'header-synonyms.yaml')): HeaderSynonyms {
  return SynonymsSchema.parse(parseYaml(readFileSync(file, 'utf8')));
}

/** "PO #", "po_no.", "P.O. Number" → "ponumber"; "Empfänger" → "empfanger"; "Straße" → "strasse". */
export function normaliseHeader(header: string): string {
  return header
    .toLowerCase()
    .replace(/ß/g, 'ss')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/#/g, ' number ')
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '')
    .map((w) => (w === 'no' || w === 'nr' || w === 'num' || w === 'nbr' ? 'number' : w))
    .join(' ')
    .replace(/\bnumber(?: number)+\b/g, 'number');
}

const squash = (normal: string) => normal.replace(/ /g, '');

/** What a column's values look like, from the sample's first rows. */
export interface ColumnShape {
  filled: number;
  sscc: boolean;
  /** luxon formats the dates match (tried in order), `iso` for ISO 8601; undefined when not dates. */
  dateFormats?: string[] | 'iso';
  number: boolean;
  decimalComma: boolean;
  examples: string[];
}

const DATE_SHAPES: { regex: RegExp; formats: (values: string[]) => string[] | 'iso' }[] = [
  { regex: /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?$/, formats: () => 'iso' },
  { regex: /^\d{1,2}\.\d{1,2}\.\d{4}( \d{1,2}:\d{2})?$/, formats: (v) => withTime(v, 'dd.MM.yyyy') },
  {
    // mm/dd/yyyy unless a first part above 12 proves day first.
    regex: /^\d{1,2}\/\d{1,2}\/\d{4}( \d{1,2}:\d{2})?$/,
    formats: (v) => withTime(v, v.some((s) => Number(s.split('/')[0]) > 12) ? 'dd/MM/yyyy' : 'MM/dd/yyyy'),
  },
  { regex: /^(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$/, formats: () => ['yyyyMMdd'] },
];

function withTime(values: string[], date: string): string[] {
  // Single-digit days and months read with the one-letter tokens, which also accept two digits.
  const loose = date.replace('dd', 'd').replace('MM', 'M');
  const timed = values.some((v) => v.includes(':'));
  return timed ? [`${loose} H:mm`, loose] : [loose];
}

export function shapeOf(values: readonly string[]): ColumnShape {
  const filled = values.map((v) => v.trim()).filter((v) => v !== '');
  // Most, not all: the sample is exactly where a stray "ten" in a Qty column shows up, and the column is still Qty.
  const all = (test: (v: string) => boolean) => filled.length > 0 && filled.filter(test).length >= Math.max(1, filled.length * 0.8);
  const shape: ColumnShape = {
    filled: filled.length,
    sscc: all((v) => /^(00)?\d{18}$/.test(v)),
    number: all((v) => /^[+-]?(\d{1,3}([.,' ]\d{3})+|\d+)([.,]\d+)?$/.test(v)),
    decimalComma: false,
    examples: [...new Set(filled)].slice(0, 3),
  };
  shape.decimalComma = shape.number && filled.some((v) => /^[+-]?\d+,\d{1,2}$|^[+-]?\d{1,3}(\.\d{3})+,\d+$/.test(v));
  for (const candidate of DATE_SHAPES) {
    if (all((v) => candidate.regex.test(v))) {
      shape.dateFormats = candidate.formats(filled);
      break;
    }
  }
  if (shape.dateFormats) shape.number = false;
  return shape;
}

export interface ColumnGuess {
  column: string;
  target: string;
  /** 0 to 1. */
  confidence: number;
  why: string;
  shape: ColumnShape;
}

function shapeFits(expected: string, shape: ColumnShape): boolean {
  if (shape.filled === 0) return true;
  if (expected === 'number') return shape.number;
  if (expected === 'date') return shape.dateFormats !== undefined;
  return true;
}

/**
 * Every column's candidate targets, best first across the file; then a greedy assignment (one column per field,
 * one field per column). Shapes confirm or overrule headers: "Date" holding `2024-03-01` is a date; a column
 * called "Ref" holding 18-digit numbers is an SSCC.
 */
export function guessColumns(columns: readonly { name: string; values: string[] }[], synonyms: HeaderSynonyms): { guesses: ColumnGuess[]; unmatched: { column: string; shape: ColumnShape }[] } {
  const candidates: ColumnGuess[] = [];
  const shapes = new Map(columns.map((c) => [c.name, shapeOf(c.values)]));
  for (const column of columns) {
    const shape = shapes.get(column.name)!;
    const header = normaliseHeader(column.name);
    const words = ` ${header} `;
    for (const field of synonyms.fields) {
      let best: { confidence: number; why: string } | undefined;
      for (const synonym of field.synonyms) {
        const normal = normaliseHeader(synonym);
        let found: { confidence: number; why: string } | undefined;
        if (squash(normal) === squash(header)) found = { confidence: 0.9, why: `header ${JSON.stringify(column.name)} is a synonym ("${synonym}")` };
        else if (normal.length >= 3 && words.includes(` ${normal} `)) found = { confidence: 0.55, why: `header ${JSON.stringify(column.name)} contains "${synonym}"` };
        if (found && (!best || found.confidence > best.confidence)) best = found;
      }
      if (best) {
        if (!shapeFits(field.shape, shape)) {
          best = { confidence: best.confidence - 0.4, why: `${best.why}, but its values (${shape.examples.join(', ')}) are not ${field.shape === 'number' ? 'numbers' : 'dates'}` };
        } else if (field.shape === 'sscc') {
          // Pallet ids are SSCCs more often than not: the values decide between "Pallet SSCC" and "Pallet Type".
          best = shape.sscc
            ? { confidence: Math.min(0.98, Math.max(best.confidence + 0.3, 0.9)), why: `${best.why} and its values are 18-digit SSCCs` }
            : { confidence: best.confidence - 0.2, why: `${best.why}; its values are not SSCCs (${shape.examples.join(', ')})` };
        } else if (field.shape !== 'text' && shape.filled > 0) {
          best = { confidence: Math.min(0.95, best.confidence + 0.05), why: `${best.why} and its values are ${field.shape === 'date' ? 'dates' : 'numbers'}` };
        }
        // A date column is never an order number, however its header reads ("Order Date").
        if (shape.dateFormats && field.shape !== 'date') best = { confidence: best.confidence - 0.35, why: `${best.why}, but its values are dates` };
        candidates.push({ column: column.name, target: field.target, confidence: round(best.confidence), why: best.why, shape });
      }
    }
    if (shape.sscc) candidates.push({ column: column.name, target: 'items.lpn', confidence: 0.7, why: `its values are 18-digit SSCCs (${shape.examples[0]})`, shape });
    if (shape.dateFormats) candidates.push({ column: column.name, target: 'document.expectedArrivalAt', confidence: 0.4, why: `its values are dates (${shape.examples[0]}); the only date a document has is expectedArrivalAt`, shape });
  }
  candidates.sort((a, b) => b.confidence - a.confidence || columns.findIndex((c) => c.name === a.column) - columns.findIndex((c) => c.name === b.column));
  const guesses: ColumnGuess[] = [];
  const usedColumns = new Set<string>();
  const usedTargets = new Set<string>();
  for (const candidate of candidates) {
    if (candidate.confidence < 0.3 || usedColumns.has(candidate.column) || usedTargets.has(candidate.target)) continue;
    guesses.push(candidate);
    usedColumns.add(candidate.column);
    usedTargets.add(candidate.target);
  }
  const unmatched = columns.filter((c) => !usedColumns.has(c.name)).map((c) => ({ column: c.name, shape: shapes.get(c.name)! }));
  return { guesses, unmatched };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/** A field name as a YAML value: the short form when YAML and the mapping language read it back unchanged. */
function fieldRef(column: string, transforms: string[]): string {
  const simple = /^[A-Za-z_][A-Za-z0-9_ .#\-/()[\]]*$/.test(column) && !column.includes(' #') && column.trim() === column && !column.includes('|');
  if (simple && transforms.every((t) => /^[a-z]+(\([^)]*\))?$/.test(t))) {
    return JSON.stringify([column, ...transforms].join(' | '));
  }
  return `{ column: ${JSON.stringify(column)}${transforms.length ? `, transforms: [${transforms.map((t) => (t.startsWith('{') ? t : t)).join(', ')}]` : ''} }`;
}

function valueFor(guess: ColumnGuess): string {
  const field = guess.target.split('.')[1]!;
  const shape = guess.shape;
  if (field === 'expectedArrivalAt' || field === 'expirationDate') {
    const output = field === 'expectedArrivalAt' ? 'datetime' : 'date';
    const date = shape.dateFormats === 'iso' || shape.dateFormats === undefined
      ? `{ date: { output: ${output} } }`
      : `{ date: { format: ${JSON.stringify(shape.dateFormats.length === 1 ? shape.dateFormats[0] : shape.dateFormats)}, output: ${output} } }`;
    return `{ column: ${JSON.stringify(guess.column)}, transforms: [trim, ${date}] }`;
  }
  if (field === 'quantity' || field === 'weightPerUnit') {
    if (shape.decimalComma) return `{ column: ${JSON.stringify(guess.column)}, transforms: [{ number: { decimalComma: true } }] }`;
    return fieldRef(guess.column, ['number']);
  }
  if (field === 'quantityUnit') return fieldRef(guess.column, ['trim', 'upper']);
  return fieldRef(guess.column, ['trim']);
}

export interface DraftInput {
  customer: string;
  /** The sample's base name, for the match glob and the comments. */
  fileName: string;
  format: { type: 'csv' | 'xlsx'; options: Record<string, unknown> };
  columns: { name: string; values: string[] }[];
}

/** The draft mapping's YAML text for a tabular file (CSV, xlsx). */
export function draftTabularMapping(input: DraftInput, synonyms: HeaderSynonyms = loadHeaderSynonyms()): string {
  const { guesses, unmatched } = guessColumns(input.columns, synonyms);
  const by = new Map(guesses.map((g) => [g.target, g]));
  const lines: string[] = [];
  const push = (...l: string[]) => lines.push(...l);
  const formatText = Object.entries({ type: input.format.type, ...input.format.options })
    .map(([k, v]) => `${k}: ${typeof v === 'string' && k !== 'type' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
  const glob = input.fileName.replace(/\d+/g, '*').replace(/\*+/g, '*');
  push(
    '# yaml-language-server: $schema=../mapping.schema.json',
    `# Draft written by \`intake mapping init\` from ${input.fileName}. Review every guess below, then run`,
    `# \`intake mapping preview samples/${input.customer}/${input.fileName}\` and \`intake mapping test ${input.customer} --update\`.`,
    `description: ${JSON.stringify(`${input.customer} ${input.format.type} file (draft from ${input.fileName})`)}`,
    `format: { ${formatText} }`,
    'match:',
    `  fileName: ${JSON.stringify(glob)}`,
    '',
  );
  const comment = (g: ColumnGuess) => `  # ${g.target.split('.')[1]} ← ${JSON.stringify(g.column)}: confidence ${g.confidence.toFixed(2)}; ${g.why}`;
  const order = by.get('document.orderNumber') ?? by.get('document.purchaseOrder');
  const orderColumn = order?.column ?? input.columns[0]?.name ?? 'col1';
  const shownUnmatched = unmatched.filter((u) => by.has('document.orderNumber') || u.column !== orderColumn);
  const documentGuesses = guesses.filter((g) => g.target.startsWith('document.'));
  const itemGuesses = guesses.filter((g) => g.target.startsWith('items.'));

  push('# One document per order number (the default groupBy); sorted files stream in constant memory.', 'document:');
  if (!by.has('document.orderNumber')) {
    if (order) push(`  # orderNumber ← ${JSON.stringify(order.column)}: no order number column, so the purchase order stands in; check with the customer`);
    else push(`  # orderNumber ← ${JSON.stringify(input.columns[0]?.name ?? 'col1')}: NO column looks like an order number; this is the first column, a placeholder`);
    push(`  orderNumber: ${fieldRef(orderColumn, ['trim'])}`);
  }
  for (const g of documentGuesses) {
    push(comment(g), `  ${g.target.split('.')[1]}: ${valueFor(g)}`);
  }
  push('', 'items:');
  for (const g of itemGuesses) push(comment(g).replace(/^ {2}/, '  '), `  ${g.target.split('.')[1]}: ${valueFor(g)}`);
  // OVERWRITE (the default strategy) needs lpn, sku, quantity and quantityUnit on every item.
  if (!by.has('items.sku')) push('  # sku: NO column looks like a SKU; placeholder, required by the strategy', `  sku: { const: CHANGE-ME }`);
  if (!by.has('items.lpn')) {
    const skuColumn = by.get('items.sku')?.column;
    push(
      '  # lpn: NO pallet/SSCC column; the strategy requires one, so this makes one per order and SKU. Ask the customer',
      '  # whether they send pallet ids (then map that column) or agree on this convention.',
      `  lpn: { template: ${JSON.stringify(skuColumn ? `{{${orderColumn}}}-{{${skuColumn}}}` : `{{${orderColumn}}}`)} }`,
    );
  }
  if (!by.has('items.quantity')) push('  # quantity: NO quantity column; 1 per line as a placeholder', '  quantity: 1');
  if (!by.has('items.quantityUnit')) push('  # quantityUnit: NO unit column; every line counted in eaches (EA)', '  quantityUnit: { const: EA }');
  push('');
  if (shownUnmatched.length > 0) {
    push('# Columns not mapped (map them or leave them out on purpose; additionalFields takes anything):');
    for (const u of shownUnmatched) push(`#   ${JSON.stringify(u.column)}${u.shape.examples.length ? `: e.g. ${u.shape.examples.map((e) => JSON.stringify(e)).join(', ')}` : ' (empty in the sample)'}`);
  } else {
    push('# Every column is mapped.');
  }
  return lines.join('\n') + '\n';
}

/** Reads the sample's first rows into columns (header order) through the same readers the gateway uses. */
export async function readSampleColumns(bytes: Uint8Array, fileName: string, maxRows = 200): Promise<DraftInput['format'] & { columns: DraftInput['columns'] }> {
  const sniffed = sniffFormat(bytes.subarray(0, 4096));
  let format: DraftInput['format'];
  if (sniffed.format === 'xlsx') format = { type: 'xlsx', options: {} };
  else {
    const encoding = detectEncoding(bytes.subarray(0, 64 * 1024));
    const text = Buffer.from(bytes.subarray(0, 64 * 1024)).toString('latin1');
    const delimiter = sniffDelimiter(text);
    const options: Record<string, unknown> = { delimiter: delimiter === '\t' ? 'tab' : delimiter };
    if (encoding !== 'utf-8') options.encoding = encoding;
    format = { type: 'csv', options };
  }
  const headerLine = await findHeaderLine(format, bytes, fileName);
  if (headerLine > 1) format.options.headerLine = headerLine;
  const stream = openRecords({ type: format.type, ...format.options }, bytes, fileName);
  const records: SourceRecord[] = [];
  for await (const record of stream.records) {
    records.push(record);
    if (records.length >= maxRows) break;
  }
  const names: string[] = [];
  for (const record of records) for (const name of Object.keys(record.fields)) if (!names.includes(name)) names.push(name);
  return { ...format, columns: names.map((name) => ({ name, values: records.map((r) => r.fields[name] ?? '') })) };
}

/**
 * The row that names the columns: spreadsheets and report exports often have a title or a blank line above it.
 * The first of the first 20 rows that is about as full as the fullest row and holds text, not numbers or dates.
 */
async function findHeaderLine(format: DraftInput['format'], bytes: Uint8Array, fileName: string): Promise<number> {
  const raw = format.type === 'xlsx' ? { type: 'xlsx', headerLine: 0, skipEmptyRows: false } : { type: 'csv', ...format.options, header: false, relaxColumnCount: true };
  const rows: { line: number; cells: string[] }[] = [];
  try {
    for await (const record of openRecords(raw, bytes, fileName).records) {
      rows.push({ line: record.provenance.line ?? rows.length + 1, cells: Object.values(record.fields).map((v) => v.trim()) });
      if (rows.length >= 20) break;
    }
  } catch {
    return 1;
  }
  const widest = Math.max(0, ...rows.map((r) => r.cells.filter((c) => c !== '').length));
  const header = rows.find((r) => {
    const filled = r.cells.filter((c) => c !== '');
    return filled.length >= Math.max(2, widest * 0.8) && filled.every((c) => !/^[\d.,:\/ -]+$/.test(c));
  });
  return header?.line ?? 1;
}

/** X12 drafts are templates with the standard paths of the set: the envelope says more than any header could. */
export function x12Template(transactionSet: string): string | undefined {
  const file = join(import.meta.dirname, 'templates', `x12-${transactionSet}.yaml`);
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
