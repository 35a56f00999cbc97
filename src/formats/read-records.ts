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
  /**
   * X12: segment ranges whose records were released before their envelope was refused (records stream out as
   * they are read, so memory stays bounded however large a transaction set is). Whatever was made of them must
   * be voided with these reasons.
   */
  voided: { first: number; last: number; errors: IntakeErrorValue[] }[];
}

/**
 * Bytes to records by the mapping's `format` (`{ type, ...options }`). X12 records stream out as they are read;
 * when a transaction set, group or interchange is then refused, `voided` names the segments to disown.
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
      const stream: RecordStream = { records: undefined as unknown as AsyncIterable<SourceRecord>, acknowledgements: [], rejections: [], voided: [] };
      stream.records = x12Records(readX12(content, options as z.input<typeof X12OptionsSchema>, file), stream);
      return stream;
    }
    default:
      throw new Error(`unknown format type ${JSON.stringify(type)}`);
  }
}

function plain(records: AsyncIterable<SourceRecord>): RecordStream {
  return { records, acknowledgements: [], rejections: [], voided: [] };
}

async function* x12Records(events: AsyncIterable<X12Event>, stream: RecordStream): AsyncIterable<SourceRecord> {
  for await (const event of events) {
    if (event.kind === 'record') {
      yield event.record;
    } else {
      stream.acknowledgements.push(event.ack);
      if (event.kind === 'rejected') {
        stream.rejections.push({ ack: event.ack, errors: event.errors });
        // The reader names the span of the refused unit itself: control numbers cannot, as they may repeat.
        if (event.released) stream.voided.push({ ...event.released, errors: event.errors });
      }
    }
  }
}
