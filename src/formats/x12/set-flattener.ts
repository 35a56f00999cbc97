import type { SegmentLayer } from '../record.ts';
import type { X12ErrorCode } from './x12-error-codes.ts';
import type { X12Segment } from './tokenize-segments.ts';

/** A problem inside a transaction set's content: it rejects the set (AK5 code 5) with an AK3 and maybe an AK4. */
export interface SetContentError {
  code: X12ErrorCode;
  message: string;
  segment: X12Segment;
  /** Position in the set, ST = 1 (AK302). */
  position: number;
  /** Element position (AK401), when one element is at fault. */
  element?: number;
  /** The segment's line, when the message names it: the error's place then does too. */
  line?: number;
  ak3: string;
  ak4?: string;
}

/** The ISA, GS and ST elements every record of a set carries, and the segment of each. */
export interface SetEnvelope {
  fields: Readonly<Record<string, string>>;
  layer: SegmentLayer;
}

export interface SetSink {
  /** `fieldSegments`, `fieldOffsets`: where each field was read (see Provenance). */
  record(fields: Record<string, string>, segment: number, segmentEnd: number, fieldSegments: SegmentLayer[], fieldOffsets?: Record<string, number>): void;
  error(error: SetContentError): void;
}

/**
 * Turns the segments between ST and SE (exclusive) into records. Fed only while the set has no error; holds
 * at most what its grammar needs (the 856 ancestor chain, the 940 lines until W76).
 */
export interface SetFlattener {
  segment(seg: X12Segment, position: number): void;
  /** SE reached (or the set was cut short: then nothing more is emitted). */
  end(lastSegment: number): void;
}

/** `stSegment`: file segment number of the ST (start of a header-only or generic record). */
export type FlattenerFactory = (envelope: SetEnvelope, sink: SetSink, stSegment: number) => SetFlattener;
