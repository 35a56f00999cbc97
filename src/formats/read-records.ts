import type { z } from 'zod';
import type { IntakeErrorValue } from '../errors/intake-error.ts';
import { CsvOptionsSchema, readCsv } from './csv/index.ts';
import { FixedWidthOptionsSchema, readFixedWidth } from './fixed-width/read-fixed-width.ts';
import { JsonOptionsSchema, readJsonRecords } from './json/read-json-records.ts';
import type { SourceRecord } from './record.ts';
import { X12OptionsSchema, readX12, type X12Ack, type X12Event } from './x12/read-x12.ts';
import { XlsxOptionsSchema, readXlsx } from './xlsx/read-xlsx.ts';

export const FORMAT_OPTION_SCHEMAS = {
  csv: CsvOptionsSchema,
  x12: X12OptionsSchema,
  'fixed-width': FixedWidthOptionsSchema,
  xlsx: XlsxOptionsSchema,
  json: JsonOptionsSchema,
} satisfies Record<string, z.ZodType>;

export type FormatName = keyof typeof FORMAT_OPTION_SCHEMAS;

/** A file's records, and (X12) what its envelopes said, complete once the records are consumed. */
export interface RecordStream {
  records: AsyncIterable<SourceRecord>;
  /** X12: one entry per transaction set, group and interchange (accepted or rejected); empty for other formats. */
  acknowledgements: X12Ack[];
  /** X12: transaction sets, groups and interchanges refused by the envelope checks, with their reasons. */
  rejections: { ack: X12Ack; errors: IntakeErrorValue[] }[];
}

/**
 * Bytes to records by the mapping's `format` (`{ type, ...options }`). X12 records are released per transaction
 * set, once its SE checked out, so a rejected set never becomes a document.
 */
export function openRecords(format: { type: string } & Record<string, unknown>, content: AsyncIterable<Uint8Array> | Uint8Array, file: string): RecordStream {
  const { type, ...options } = format;
  switch (type) {
    case 'csv':
      return plain(readCsv(content, options as z.input<typeof CsvOptionsSchema>, file));
    case 'fixed-width':
      return plain(readFixedWidth(content, options as z.input<typeof FixedWidthOptionsSchema>, file));
    case 'xlsx':
      return plain(readXlsx(content, options as z.input<typeof XlsxOptionsSchema>, file));
    case 'json':
      return plain(readJsonRecords(content, options as z.input<typeof JsonOptionsSchema>, file));
    case 'x12': {
      const stream: RecordStream = { records: undefined as unknown as AsyncIterable<SourceRecord>, acknowledgements: [], rejections: [] };
      stream.records = x12Records(readX12(content, { release: 'per-set', ...(options as z.input<typeof X12OptionsSchema>) }, file), stream);
      return stream;
    }
    default:
      throw new Error(`unknown format type ${JSON.stringify(type)}`);
  }
}

function plain(records: AsyncIterable<SourceRecord>): RecordStream {
  return { records, acknowledgements: [], rejections: [] };
}

async function* x12Records(events: AsyncIterable<X12Event>, stream: RecordStream): AsyncIterable<SourceRecord> {
  for await (const event of events) {
    if (event.kind === 'record') yield event.record;
    else {
      stream.acknowledgements.push(event.ack);
      if (event.kind === 'rejected') stream.rejections.push({ ack: event.ack, errors: event.errors });
    }
  }
}
