import { z } from 'zod';
import { IntakeError } from '../../errors/intake-error.ts';
import type { SourceRecord } from '../record.ts';

/**
 * A customer's JSON feed (the Unified Endpoint): an object, an array of objects, or NDJSON (one object a line).
 * Each object is one record; nested values are addressed by path (`shipTo.name`, `lines[0].sku`), scalars as
 * text, so the same mapping language serves JSON as every other format.
 */
export const JsonOptionsSchema = z.object({
  /** Path of the array holding the records inside a wrapper object (e.g. `orders`); default: the top level. */
  recordsAt: z.string().optional(),
  /** Largest accepted feed, in bytes: JSON is parsed whole (NDJSON line by line). */
  maxBytes: z.number().int().positive().default(50 * 1024 * 1024),
});
export type JsonOptions = z.input<typeof JsonOptionsSchema>;

function flatten(value: unknown, path: string, out: Record<string, string>): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => flatten(item, `${path}[${i}]`, out));
  } else if (typeof value === 'object') {
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) flatten(item, path ? `${path}.${key}` : key, out);
  } else {
    out[path] = String(value);
  }
}

function toRecord(value: unknown, file: string, line: number): SourceRecord {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw IntakeError.of('JSON_NOT_AN_OBJECT', 'each record must be a JSON object', { file, line });
  }
  const fields: Record<string, string> = Object.create(null);
  flatten(value, '', fields);
  return { fields, provenance: { file, line } };
}

async function collect(input: AsyncIterable<Uint8Array> | Uint8Array, maxBytes: number, file: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of input instanceof Uint8Array ? [input] : input) {
    size += chunk.byteLength;
    if (size > maxBytes) throw IntakeError.of('JSON_TOO_LARGE', `the JSON is larger than ${maxBytes} bytes`, { file });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8').replace(/^\uFEFF/, '');
}

export async function* readJsonRecords(input: AsyncIterable<Uint8Array> | Uint8Array, options: JsonOptions, file: string): AsyncIterable<SourceRecord> {
  const resolved = JsonOptionsSchema.parse(options);
  const text = await collect(input, resolved.maxBytes, file);
  if (text.trim() === '') throw IntakeError.of('JSON_EMPTY', 'the JSON body is empty', { file });
  let whole: unknown;
  try {
    whole = JSON.parse(text);
  } catch {
    // Not one JSON value: NDJSON, one object a line.
    const lines = text.split(/\r?\n/);
    for (const [i, line] of lines.entries()) {
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        throw IntakeError.of('JSON_MALFORMED', `not valid JSON: ${(error as Error).message}`, { file, line: i + 1 });
      }
      yield toRecord(value, file, i + 1);
    }
    return;
  }
  let list: unknown = whole;
  if (resolved.recordsAt) {
    for (const key of resolved.recordsAt.split('.')) list = (list as Record<string, unknown> | undefined)?.[key];
    if (!Array.isArray(list)) throw IntakeError.of('JSON_NO_RECORDS', `no array at "${resolved.recordsAt}"`, { file });
  }
  const items = Array.isArray(list) ? list : [list];
  for (const [i, item] of items.entries()) yield toRecord(item, file, i + 1);
}
