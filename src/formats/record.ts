import { z } from 'zod';

/** Segments of the fields read from one part of an X12 set: `from + offsets[field]`. */
export const SegmentLayerSchema = z.object({
  from: z.number().int(),
  offsets: z.record(z.string(), z.number().int()),
});
export type SegmentLayer = z.infer<typeof SegmentLayerSchema>;

/**
 * Where a record came from. Every format yields records with this provenance, so an error or a result row can
 * point back to the exact lines or segments of the customer's file.
 */
export const ProvenanceSchema = z.object({
  file: z.string(),
  /** First and last physical line (1-based) of the record, for line-oriented formats. */
  line: z.number().int().optional(),
  lineEnd: z.number().int().optional(),
  /**
   * The line of each field read from another line than the record's own: a fixed-width header or continuation
   * record's fields carried on a detail. An error in such a field points at the line that holds it.
   */
  fieldLines: z.record(z.string(), z.number().int()).optional(),
  /** First and last segment number (1-based, counted from the start of the file), for X12. */
  segment: z.number().int().optional(),
  segmentEnd: z.number().int().optional(),
  /**
   * X12: the segment of each field, as layers (envelope, header, each HL level or 940 line...), the deepest last,
   * as the fields were merged: a field's segment is in the last layer that has it (see `fieldSegment`). An
   * ancestor's layer is shared by every record below it, and a layer's offsets by every layer of the same
   * structure, so a record costs a few references, not a number per field.
   */
  fieldSegments: z.array(SegmentLayerSchema).optional(),
  /**
   * X12: the record's own fields (an 856 item's, from its HL on) as offsets from `segment`, deeper than every
   * layer. One object for every record of the same structure.
   */
  fieldOffsets: z.record(z.string(), z.number().int()).optional(),
  /** X12 control numbers: ISA13, GS06, ST02. */
  interchange: z.string().optional(),
  group: z.string().optional(),
  transaction: z.string().optional(),
  /** X12 transaction set id (856, 940, ...). */
  transactionSet: z.string().optional(),
  /** ISA15 = T: test data, mapped and validated but never submitted. */
  test: z.boolean().optional(),
});
export type Provenance = z.infer<typeof ProvenanceSchema>;

/** The segment that holds an X12 record's field; undefined for fields of no segment (`LEVEL`) and other formats. */
export function fieldSegment(provenance: Provenance, field: string): number | undefined {
  const own = provenance.fieldOffsets;
  if (own !== undefined && provenance.segment !== undefined && Object.hasOwn(own, field)) return provenance.segment + own[field]!;
  const layers = provenance.fieldSegments;
  if (layers === undefined) return undefined;
  for (let i = layers.length - 1; i >= 0; i--) {
    const { from, offsets } = layers[i]!;
    if (Object.hasOwn(offsets, field)) return from + offsets[field]!;
  }
  return undefined;
}

/**
 * A flat record: named values and where they came from. Mappings only ever see records, so one mapping
 * language serves every format. Values are strings as read (no trimming, no typing): typing is the mapping's job.
 * Field names: CSV header names (or `col1`, `col2`, ... without a header); X12 element paths (see the flatteners);
 * fixed-width field names from the layout.
 */
export const SourceRecordSchema = z.object({
  fields: z.record(z.string(), z.string()),
  provenance: ProvenanceSchema,
});
export type SourceRecord = z.infer<typeof SourceRecordSchema>;

/**
 * Sets a field whose name came from the customer's file. Plain assignment of `__proto__` would set the object's
 * prototype instead (and the column would vanish), so a name from a header is always defined as its own field.
 */
export function setField(fields: Record<string, string>, name: string, value: string): void {
  if (name === '__proto__') Object.defineProperty(fields, name, { value, enumerable: true, writable: true, configurable: true });
  else fields[name] = value;
}
