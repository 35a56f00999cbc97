import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { IntakeErrorValue } from '../errors/intake-error.ts';
import { goldenPathOf, listSamples } from './mapping-folders.ts';
import { mapSample, type RunEntry } from './run-mapping.ts';

/**
 * Golden tests of mappings (Redpanda Connect config tests, Stedi inspector): each sample in `samples/<customer>/`
 * runs through the customer's mappings and must give exactly the entries of its `<sample>.documents.json`.
 * `update` (or UPDATE_GOLDEN=1) rewrites the golden file instead; the diff is then reviewed in the commit.
 */

export type SampleStatus = 'pass' | 'fail' | 'missing' | 'created' | 'updated' | 'error';

export interface SampleResult {
  customer: string;
  sample: string;
  golden: string;
  status: SampleStatus;
  /** The mapping the sample went through. */
  mapping?: string;
  /** Readable differences, `#2 document (order PO-1) document.items[0].quantity: 5 → 6`. */
  differences?: string[];
  /** Configuration errors (the mapping does not load, no mapping matches the sample). */
  errors?: IntakeErrorValue[];
}

/** Whether the environment asks for golden files to be rewritten. */
export function updateRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.UPDATE_GOLDEN === '1' || env.UPDATE_GOLDEN === 'true';
}

/** Stable text of a golden file: two-space JSON and a final newline, so diffs in review are line-sized. */
export function serializeEntries(entries: readonly RunEntry[]): string {
  return JSON.stringify(entries, null, 2) + '\n';
}

export async function testSample(options: { mappingsDir: string; customer: string; sample: string; update?: boolean }): Promise<SampleResult> {
  const golden = goldenPathOf(options.sample);
  const base: Omit<SampleResult, 'status'> = { customer: options.customer, sample: options.sample, golden };
  const mapped = await mapSample({ mappingsDir: options.mappingsDir, customer: options.customer, file: options.sample });
  if (!mapped.ok) return { ...base, status: 'error', errors: mapped.errors };
  // Through JSON, so `undefined` fields and key order compare as they are written.
  const actual = JSON.parse(serializeEntries(mapped.entries)) as unknown;
  const exists = existsSync(golden);
  const expected = exists ? (JSON.parse(await readFile(golden, 'utf8')) as unknown) : undefined;
  const differences = exists ? diffEntries(expected, actual) : [];
  if (options.update) {
    if (exists && differences.length === 0) return { ...base, status: 'pass', mapping: mapped.mapping };
    await writeFile(golden, serializeEntries(mapped.entries));
    return { ...base, status: exists ? 'updated' : 'created', mapping: mapped.mapping, differences };
  }
  if (!exists) return { ...base, status: 'missing', mapping: mapped.mapping };
  return { ...base, status: differences.length === 0 ? 'pass' : 'fail', mapping: mapped.mapping, differences };
}

export async function testCustomerSamples(options: { mappingsDir: string; samplesDir: string; customer: string; update?: boolean }): Promise<SampleResult[]> {
  const results: SampleResult[] = [];
  for (const sample of listSamples(options.samplesDir, options.customer)) {
    results.push(await testSample({ mappingsDir: options.mappingsDir, customer: options.customer, sample, update: options.update ?? false }));
  }
  return results;
}

/** Most difference lines reported per sample; past that, a count (a wrong column changes every document). */
const MAX_DIFFERENCES = 40;

/**
 * Differences between the golden entries (before) and this run's (after), one line each, named by the entry
 * (`#3 document (order PO-1001)`) and the field path inside it.
 */
export function diffEntries(expected: unknown, actual: unknown): string[] {
  const lines: string[] = [];
  if (!Array.isArray(expected) || !Array.isArray(actual)) {
    diffValue('', expected, actual, lines);
    return cap(lines);
  }
  const count = Math.max(expected.length, actual.length);
  for (let i = 0; i < count; i++) {
    const before: unknown = expected[i];
    const after: unknown = actual[i];
    const label = describeEntry(after ?? before, i);
    if (i >= expected.length) lines.push(`${label}: new entry ${show(after, 160)}`);
    else if (i >= actual.length) lines.push(`${label}: entry gone (was ${show(before, 160)})`);
    else {
      const inner: string[] = [];
      diffValue('', before, after, inner);
      for (const line of inner) lines.push(`${label} ${line}`);
    }
  }
  return cap(lines);
}

function cap(lines: string[]): string[] {
  if (lines.length <= MAX_DIFFERENCES) return lines;
  return [...lines.slice(0, MAX_DIFFERENCES), `… and ${lines.length - MAX_DIFFERENCES} more differences`];
}

function describeEntry(entry: unknown, position: number): string {
  if (!isObject(entry)) return `[${position}]`;
  const e = entry as Partial<Record<string, unknown>>;
  const order = isObject(e.document) ? (e.document as Record<string, unknown>).orderNumber : isObject(e.partial) ? (e.partial as Record<string, unknown>).orderNumber : undefined;
  const index = typeof e.index === 'number' ? `#${e.index} ` : `[${position}] `;
  return `${index}${String(e.kind ?? 'entry')}${order !== undefined ? ` (order ${String(order)})` : ''}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(value: unknown, max = 80): string {
  if (value === undefined) return '(absent)';
  const text = JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function diffValue(path: string, before: unknown, after: unknown, out: string[]): void {
  if (isObject(before) && isObject(after)) {
    const keys = [...Object.keys(before), ...Object.keys(after).filter((k) => !(k in before))];
    for (const key of keys) diffValue(path ? `${path}.${key}` : key, before[key], after[key], out);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const count = Math.max(before.length, after.length);
    for (let i = 0; i < count; i++) diffValue(`${path}[${i}]`, before[i], after[i], out);
    return;
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return;
  out.push(`${path || '(whole)'}: ${show(before)} → ${show(after)}`);
}

/** One line per sample for a terminal: `✓ samples/acme/orders.csv (orders)`, then differences or errors. */
export function describeSampleResult(result: SampleResult, formatError: (e: IntakeErrorValue) => string): string[] {
  const name = `${result.sample}${result.mapping ? ` (mapping ${result.mapping})` : ''}`;
  switch (result.status) {
    case 'pass':
      return [`✓ ${name}`];
    case 'created':
      return [`+ ${name}: wrote ${basename(result.golden)}`];
    case 'updated':
      return [`~ ${name}: rewrote ${basename(result.golden)}`, ...(result.differences ?? []).map((d) => `    ${d}`)];
    case 'missing':
      return [`✗ ${name}: no golden file ${result.golden}; run \`intake mapping test ${result.customer} --update\` to write it, then review it`];
    case 'error':
      return [`✗ ${result.sample}: cannot run`, ...(result.errors ?? []).map((e) => `    ${formatError(e)}`)];
    case 'fail':
      return [`✗ ${name}: differs from ${basename(result.golden)} (golden → now)`, ...(result.differences ?? []).map((d) => `    ${d}`)];
  }
}
