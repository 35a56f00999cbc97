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

/** The segments a refused envelope covers, among the sets whose records were released. */
function refusedSpans(spans: Map<string, { interchange: string; group: string; first: number; last: number }>, ack: X12Ack): { first: number; last: number }[] {
  return [...spans.entries()]
    .filter(([, span]) => {
      if (span.interchange !== ack.interchange) return false;
      if (ack.level === 'interchange' || ack.level === 'file') return true;
      if (span.group !== (ack.group ?? '')) return false;
      return ack.level === 'group' || spans.get(`${ack.interchange}/${ack.group ?? ''}/${ack.transaction ?? ''}`) === span;
    })
    .map(([, span]) => ({ first: span.first, last: span.last }));
}

async function* x12Records(events: AsyncIterable<X12Event>, stream: RecordStream): AsyncIterable<SourceRecord> {
  const spans = new Map<string, { interchange: string; group: string; first: number; last: number }>();
  for await (const event of events) {
    if (event.kind === 'record') {
      const p = event.record.provenance;
      const key = `${p.interchange ?? ''}/${p.group ?? ''}/${p.transaction ?? ''}`;
      const first = p.segment ?? 0;
      const last = p.segmentEnd ?? first;
      const span = spans.get(key);
      if (span) {
        span.first = Math.min(span.first, first);
        span.last = Math.max(span.last, last);
      } else {
        spans.set(key, { interchange: p.interchange ?? '', group: p.group ?? '', first, last });
      }
      yield event.record;
    } else {
      stream.acknowledgements.push(event.ack);
      if (event.kind === 'rejected') {
        stream.rejections.push({ ack: event.ack, errors: event.errors });
        for (const span of refusedSpans(spans, event.ack)) stream.voided.push({ ...span, errors: event.errors });
      }
    }
  }
}
