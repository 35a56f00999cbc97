import iconv from 'iconv-lite';
import { z } from 'zod';

/**
 * Options of the fixed-width reader. The layout (record types and their fields) is data declared in a
 * customer's mapping, never code: a new customer's file needs a new layout, not a new parser.
 *
 * Positions are 1-based and inclusive, as in the record specifications customers hand over
 * ("Order number: position 4, length 10" or "positions 4-13").
 *
 * Every object is strict: a misspelt key (`decimal` for `decimals`) would otherwise be dropped silently and the
 * file read with the default (12.500 read as 12500).
 */

/** How padding is removed from a field's value. */
export const TrimSchema = z.enum(['both', 'right', 'left', 'none']);
export type Trim = z.infer<typeof TrimSchema>;

export const FieldLayoutSchema = z
  .strictObject({
    /** Field name in the records (header fields get their record's prefix on detail records). */
    name: z.string().min(1),
    /** First position of the field, 1-based. */
    start: z.number().int().min(1),
    /** Width in positions. Give `length` or `end`, not both. */
    length: z.number().int().min(1).optional(),
    /** Last position of the field, 1-based and inclusive. Give `length` or `end`, not both. */
    end: z.number().int().min(1).optional(),
    /** Padding to remove; default: the file's `trim` option. */
    trim: TrimSchema.optional(),
    /**
     * Implied decimals: `decimals: 2` turns `000012345` into `123.45` (leading zeros dropped, trailing zeros
     * kept, a leading or trailing `+`/`-` sign honoured). The value stays a string; typing is the mapping's job.
     * A blank field stays `""`; anything but digits is FW_INVALID_NUMBER.
     */
    decimals: z.number().int().min(1).max(18).optional(),
    /**
     * An optional field may lie (partly) beyond the end of a short line: the missing part reads as blank.
     * Default false: a line too short for the field is FW_SHORT_LINE (unless `shortLines: 'pad'`).
     */
    optional: z.boolean().default(false),
  })
  .superRefine((field, ctx) => {
    if ((field.length === undefined) === (field.end === undefined)) {
      ctx.addIssue({ code: 'custom', message: `field "${field.name}": give exactly one of "length" or "end"` });
    }
    if (field.end !== undefined && field.end < field.start) {
      ctx.addIssue({ code: 'custom', message: `field "${field.name}": end (${field.end}) is before start (${field.start})` });
    }
  });
export type FieldLayout = z.output<typeof FieldLayoutSchema>;

/** What a record type means for the flattening. */
export const RecordRoleSchema = z.enum(['header', 'detail', 'trailer', 'continuation', 'ignore']);
export type RecordRole = z.infer<typeof RecordRoleSchema>;

export const TrailerCountSchema = z.strictObject({
  /** Name of the trailer's field that holds the count (one of this trailer's `fields`). */
  field: z.string().min(1),
  /**
   * What is counted: `details` (detail records of the group, the default), `lines` (every non-blank line
   * of the group, its opening header and this trailer included, as batch control totals usually do) or
   * `lines-between` (the lines strictly between the opening header, or the file's start, and this trailer).
   */
  counts: z.enum(['details', 'lines', 'lines-between']).default('details'),
});

export const RecordLayoutSchema = z.strictObject({
  /** Record type name, used in messages and (for headers) as the default field prefix. Unique per layout. */
  name: z.string().min(1),
  /**
   * The value(s) of the file's tag positions that identify this record type (compared with trailing blanks
   * removed). A tag shorter than the tag area matches lines that start with it, and the longest matching
   * tag wins, so `139` and `239SH` (a record type plus a qualifier) can share one area.
   * Required when the options declare `tag`; absent for single-layout files.
   */
  tag: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  /**
   * `detail` records become records (default); `header` fields are carried on every following detail;
   * `trailer` records close their group (which must end with one, unless the trailer is `optional`) and may
   * check a count; `continuation` fields join the header or detail record just before (for records that
   * extend the one above: a second address line, a reference); `ignore` records are skipped.
   */
  role: RecordRoleSchema.default('detail'),
  /**
   * Nesting depth of a header or trailer (default 1). A header at level L starts a new group: it replaces
   * every header at level L or deeper. A trailer at level L closes the groups at level L and deeper. Use 0
   * for a file header/trailer around level-1 order headers, 2 for a continuation record of an order header.
   */
  level: z.number().int().min(0).max(9).default(1),
  /**
   * Header and continuation only: the prefix of this record's fields on detail records; default `<name>.`,
   * so a header record named `H` with a field `orderNumber` gives details a field `H.orderNumber`. Use `""`
   * for no prefix (the names must then not collide).
   */
  prefix: z.string().optional(),
  /**
   * Header: details may come without a current header of this type. By default every level that has a
   * non-optional header type must have a current header before a detail (else FW_DETAIL_WITHOUT_HEADER).
   *
   * Trailer: a group may end without this trailer. By default every group at a level that has a non-optional
   * trailer type must end with one, before the next header of its level or above, a trailer of a level above,
   * or the end of the file (else FW_MISSING_TRAILER at the group's first line): a transfer cut after a complete
   * line must not pass for a shorter order. A level without a header type still has groups: its first data
   * line opens one (a file trailer with no file header covers the whole file).
   */
  optional: z.boolean().default(false),
  /** Trailer only: check a count in the trailer (FW_TRAILER_COUNT_MISMATCH when it differs). */
  count: TrailerCountSchema.optional(),
  /** The fields of this record type. */
  fields: z.array(FieldLayoutSchema).default([]),
});
export type RecordLayout = z.output<typeof RecordLayoutSchema>;

export const FixedWidthOptionsSchema = z
  .strictObject({
    /**
     * Character encoding of the file (any name iconv-lite knows: `utf-8`, `windows-1252`, `latin1`, ...).
     * Default `utf-8`; a UTF-8 byte-order mark is removed.
     *
     * A declared `windows-1252` or `iso-8859-1` (by any of their names) follows the CSV reader's rule: a BOM
     * decides, and a file whose bytes are UTF-8 is read as UTF-8 (read as Windows-1252, each multi-byte character
     * would take two or three positions and shift every later field). A file that mixes UTF-8 with the declared
     * encoding is FW_INVALID_ENCODING at the line where the mix shows.
     */
    encoding: z
      .string()
      .default('utf-8')
      .refine((name) => iconv.encodingExists(name), { message: 'unknown encoding' }),
    /**
     * Whether positions count characters (default) or bytes of the encoded line. `bytes` matches specs
     * written for files whose writer pads by bytes (multi-byte UTF-8 text); for single-byte encodings the
     * two are the same.
     */
    positions: z.enum(['characters', 'bytes']).default('characters'),
    /** Physical lines to skip at the top of the file (banners, column rulers), blank ones included. Default 0. */
    skipLines: z.number().int().min(0).default(0),
    /** Default padding removal for every field (a field's own `trim` wins). Default `both`. */
    trim: TrimSchema.default('both'),
    /**
     * Where the record type tag is: positions `start` (1-based) and `length`. Absent: a single-layout file,
     * one record per line, described by the only entry of `records`.
     */
    tag: z.strictObject({ start: z.number().int().min(1), length: z.number().int().min(1) }).optional(),
    /** The record types of the file. */
    records: z.array(RecordLayoutSchema).min(1),
    /** A line whose tag matches no record type: `error` (FW_UNKNOWN_RECORD_TYPE, default) or `skip`. */
    unknownRecords: z.enum(['error', 'skip']).default('error'),
    /**
     * A line shorter than a non-optional field: `error` (FW_SHORT_LINE, default) or `pad` (the missing
     * part reads as blank, for writers that strip trailing spaces).
     */
    shortLines: z.enum(['error', 'pad']).default('error'),
    /**
     * When set, every record carries a field of this name holding its record type's name (useful when a
     * file has several detail record types). Default: no such field.
     */
    recordTypeField: z.string().min(1).optional(),
    /**
     * Longest line accepted, in characters (FW_LINE_TOO_LONG beyond), so a file without line breaks cannot
     * exhaust memory. Default 1 MiB.
     */
    maxLineLength: z.number().int().min(1).default(1024 * 1024),
  })
  .superRefine((options, ctx) => {
    const issue = (message: string): void => ctx.addIssue({ code: 'custom', message });
    const names = new Set<string>();
    for (const record of options.records) {
      if (names.has(record.name)) issue(`record type "${record.name}" is declared twice`);
      names.add(record.name);
      if (options.tag && record.tag === undefined) issue(`record type "${record.name}" needs a "tag" value`);
      if (!options.tag && record.tag !== undefined) issue(`record type "${record.name}" has a tag but the options declare no "tag" position`);
      for (const value of record.tag === undefined ? [] : [record.tag].flat()) {
        if (options.tag && value.length > options.tag.length) {
          issue(`record type "${record.name}": tag "${value}" is longer than the tag length ${options.tag.length}`);
        }
      }
      const fieldNames = new Set<string>();
      for (const field of record.fields) {
        if (fieldNames.has(field.name)) issue(`record type "${record.name}": field "${field.name}" is declared twice`);
        fieldNames.add(field.name);
      }
      if (record.count && !fieldNames.has(record.count.field)) {
        issue(`record type "${record.name}": count field "${record.count.field}" is not one of its fields`);
      }
      if (record.count && record.role !== 'trailer') issue(`record type "${record.name}": only a trailer can check a count`);
      if (options.recordTypeField && fieldNames.has(options.recordTypeField)) {
        issue(`record type "${record.name}": field "${options.recordTypeField}" collides with recordTypeField`);
      }
    }
    if (!options.tag) {
      if (options.records.length !== 1) issue('without a "tag" position the layout must have exactly one record type');
      else if (options.records[0]?.role !== 'detail') issue('the record type of a single-layout file must be a detail');
    }
    const seenTags = new Map<string, string>();
    for (const record of options.records) {
      for (const value of record.tag === undefined ? [] : [record.tag].flat()) {
        const key = value.trimEnd();
        const other = seenTags.get(key);
        if (other !== undefined) issue(`tag "${value}" identifies both "${other}" and "${record.name}"`);
        seenTags.set(key, record.name);
      }
    }
    if (!options.records.some((record) => record.role === 'detail')) issue('the layout has no detail record type');
  });

/** Options as written in a mapping (defaults may be left out). */
export type FixedWidthOptionsInput = z.input<typeof FixedWidthOptionsSchema>;
/** Options after validation, every default filled in. */
export type FixedWidthOptions = z.output<typeof FixedWidthOptionsSchema>;
