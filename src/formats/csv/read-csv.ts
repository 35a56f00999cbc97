import type { SourceRecord } from '../record.ts';
import { CsvReader } from './csv-reader.ts';
import { resolveCsvOptions, type CsvOptions } from './csv-options.ts';

/**
 * A whole-buffer input is fed in slices of this size, so that even a file already in memory yields its records
 * a slice at a time instead of building one array of every record.
 */
const SLICE_BYTES = 64 * 1024;

/**
 * Streams records from CSV bytes; errors are thrown as IntakeError (codes CSV_*), placed by file/line/column.
 *
 * Options are validated now (a bad option throws CSV_INVALID_OPTIONS before any byte is read); the file is read
 * as the records are consumed, holding at most one chunk's records and one record's bytes. Records before an
 * error are yielded before it is thrown.
 */
export function readCsv(input: AsyncIterable<Uint8Array> | Uint8Array, options: CsvOptions, file: string): AsyncIterable<SourceRecord> {
  const resolved = resolveCsvOptions(options);
  let batch: SourceRecord[] = [];
  const reader = new CsvReader(resolved, file, (record) => batch.push(record));
  const chunks = input instanceof Uint8Array ? slices(input) : input;

  async function* records(): AsyncGenerator<SourceRecord> {
    for await (const chunk of chunks) {
      try {
        reader.push(chunk);
      } finally {
        // Runs on error too: the records before the faulty line are still good, and the error comes after them.
        const ready = batch;
        batch = [];
        yield* ready;
      }
    }
    try {
      reader.end();
    } finally {
      yield* batch;
      batch = [];
    }
  }
  return records();
}

/** Reads a whole buffer at once: for previews, tests and small files. Same records and errors as `readCsv`. */
export function readCsvSync(input: Uint8Array, options: CsvOptions, file: string): SourceRecord[] {
  const records: SourceRecord[] = [];
  const reader = new CsvReader(resolveCsvOptions(options), file, (record) => records.push(record));
  for (const chunk of slices(input)) reader.push(chunk);
  reader.end();
  return records;
}

function* slices(input: Uint8Array): Generator<Uint8Array> {
  for (let at = 0; at < input.length; at += SLICE_BYTES) yield input.subarray(at, at + SLICE_BYTES);
}
