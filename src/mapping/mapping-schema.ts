import { z } from 'zod';
import { DocumentSchema, ItemSchema, StrategySchema } from '../documents/document.ts';
import { TRANSFORMS } from './transforms/transform-catalog.ts';

/**
 * The mapping language: one YAML file per kind of customer file, validated by this schema (also exported as
 * mappings/mapping.schema.json for editors). Values are compiled once by compile-mapping.ts into closures.
 */

export const FORMAT_TYPES = ['csv', 'x12', 'fixed-width', 'xlsx', 'json'] as const;
export type FormatType = (typeof FORMAT_TYPES)[number];

/**
 * The file format and the reader's options. Only `type` is checked here: the options belong to the format readers,
 * whose schemas are passed to compileMapping (`formatOptions`) so this module imports no reader.
 */
export const FormatSchema = z
  .looseObject({
    /** Which reader turns the file into records. */
    type: z.enum(FORMAT_TYPES).describe('Which reader turns the file into records.'),
  })
  .describe("The file format and its reader's options (checked by the reader's schema).");

const globs = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

export const MatchSchema = z
  .strictObject({
    /** File-name glob(s), case-insensitive, on the name without folders: `*`, `?`, `[abc]`, `{a,b}`. */
    fileName: globs
      .optional()
      .describe('File-name glob(s), case-insensitive, on the base name: *, ?, [abc], {a,b}. Default: any name.'),
    /** X12 transaction set(s) this mapping is for (`856`, `940`), compared with what the reader sniffed. */
    transactionSet: z
      .union([z.string(), z.array(z.string()).min(1)])
      .optional()
      .describe('X12 transaction set(s) (856, 940), compared with what the reader sniffed. Default: any.'),
    /** When several mappings match a file, the highest priority wins; a tie is an error. Default 0. */
    priority: z.number().int().optional().describe('Highest priority wins when several mappings match; a tie is an error. Default 0.'),
  })
  .describe('Which files this mapping is for. A mapping without fileName matches any file of its format.');

const stepSchemas = TRANSFORMS.filter((t) => t.options).map((t) =>
  z.strictObject({ [t.name]: t.options! }).describe(t.summary),
);
const bareNames = TRANSFORMS.filter((t) => t.bare).map((t) => t.name) as [string, ...string[]];

/** A transform: a bare name (`trim`) or `{ <name>: <options> }`. */
export const TransformStepSchema = z
  .union([z.enum(bareNames).describe('A transform without options.'), ...stepSchemas])
  .meta({ id: 'Transform', description: 'A transform: a bare name (trim) or { <name>: <options> }.' });

const fieldNames = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
const constant = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]);

/** The long form of a value: exactly one source, then transforms and checks. */
export const ValueObjectSchema = z
  .strictObject({
    /** Field (CSV column) of the record; a list takes the first non-empty one. */
    column: fieldNames.optional().describe('Field (CSV column) of the record; a list takes the first non-empty one.'),
    /** Same as `column`, for formats whose fields are not columns (X12 `BSN02`, `I.LIN[SK]`). */
    field: fieldNames.optional().describe('Same as column, for X12 elements (BSN02, I.LIN[SK]) and fixed-width fields.'),
    /** A constant. */
    const: constant.optional().describe('A constant.'),
    /** Text with `{{field}}` placeholders; empty when every placeholder is empty. */
    template: z.string().optional().describe('Text with {{field}} placeholders; empty when every placeholder is empty.'),
    /** JSONata expression over the record's fields (`$` is the fields object, `$provenance` where it came from). */
    expr: z
      .string()
      .min(1)
      .optional()
      .describe("JSONata expression; input is the record's fields, $provenance is where it came from."),
    /** Applied in order to the source value; empty values pass through all but `default`. */
    transforms: z
      .array(TransformStepSchema)
      .optional()
      .describe('Applied in order; empty values pass through every transform except default.'),
    /** The value must not be empty (after transforms). Default false. */
    required: z.boolean().optional().describe('The value must not be empty (after transforms). Default false.'),
    /** Regular expression the value (after transforms, as text) must match. */
    pattern: z.string().min(1).optional().describe('Regular expression the value (after transforms) must match.'),
    /** Document fields only: every record of the document must give the same value. Default false (first record). */
    consistent: z
      .boolean()
      .optional()
      .describe('Document fields only: every record of the document must give the same value. Default false.'),
  })
  .meta({ id: 'ValueObject', description: 'A value: one of column/field/const/template/expr, then transforms, required, pattern.' });
export type ValueObject = z.infer<typeof ValueObjectSchema>;

/**
 * A value: a string is a field name followed by `| transform` steps (`Qty | number`), or a template when it holds
 * `{{`; a number or boolean is a constant; an object is the long form.
 */
export const ValueSpecSchema = z
  .union([
    z.string().min(1).describe('Field name with optional "| transform" steps ("Qty | number"), or a "{{template}}".'),
    z.number().describe('A constant number.'),
    z.boolean().describe('A constant boolean.'),
    ValueObjectSchema,
  ])
  .meta({ id: 'Value', description: 'Field name ("Qty | number"), template ("{{PO#}}-{{Line}}"), constant, or long form.' });
export type ValueSpec = z.infer<typeof ValueSpecSchema>;

const comparable = z.union([z.string(), z.number()]);

/** A filter on a record. Field values are compared trimmed, since fixed-width files pad them. */
export interface Condition {
  column?: string;
  field?: string;
  equals?: string | number;
  in?: (string | number)[];
  matches?: string;
  empty?: boolean;
  expr?: string;
  all?: Condition[];
  any?: Condition[];
  not?: Condition;
}

export const ConditionSchema: z.ZodType<Condition> = z
  .strictObject({
    /** The field tested (CSV column). */
    column: z.string().min(1).optional().describe('The field tested (CSV column).'),
    /** The field tested (X12 element, fixed-width field). */
    field: z.string().min(1).optional().describe('The field tested (X12 element, fixed-width field).'),
    /** The trimmed value equals this. */
    equals: comparable.optional().describe('The trimmed value equals this.'),
    /** The trimmed value is one of these. */
    in: z.array(comparable).min(1).optional().describe('The trimmed value is one of these.'),
    /** The trimmed value matches this regular expression. */
    matches: z.string().min(1).optional().describe('The trimmed value matches this regular expression.'),
    /** true: the value is empty (or missing); false: it is not. */
    empty: z.boolean().optional().describe('true: the value is empty or missing; false: it is not.'),
    /** JSONata expression over the record's fields; true keeps the record. */
    expr: z.string().min(1).optional().describe("JSONata expression over the record's fields; truthy keeps the record."),
    /** Every condition holds. */
    get all() {
      return z.array(ConditionSchema).min(1).optional().describe('Every condition holds.');
    },
    /** At least one condition holds. */
    get any() {
      return z.array(ConditionSchema).min(1).optional().describe('At least one condition holds.');
    },
    /** The condition does not hold. */
    get not() {
      return ConditionSchema.optional().describe('The condition does not hold.');
    },
  })
  .meta({ id: 'Condition', description: 'A condition: { column|field, equals|in|matches|empty }, { expr }, { all }, { any } or { not }.' });

/** One condition, or a list that must all hold. */
export const WhenSchema = z
  .union([ConditionSchema, z.array(ConditionSchema).min(1)])
  .describe('A condition, or a list of conditions that must all hold.');

export const GROUP_SORTED = ['auto', true, false] as const;

export const GroupByObjectSchema = z.strictObject({
  /** The grouping key: one value or several (a document per distinct combination). */
  key: z
    .union([ValueSpecSchema, z.array(ValueSpecSchema).min(1)])
    .describe('The grouping key: one value or several (a document per distinct combination).'),
  /**
   * `true`: the file is sorted by the key; a group ends when the key changes (constant memory) and a key that
   * comes back rejects the file. `false`: groups are held until the end of the file, within the bounds below.
   * `auto` (default): held like `false` while within the bounds; past them, if the file has been sorted so far,
   * continues as `true`, else rejects the file.
   */
  sorted: z
    .union([z.literal('auto'), z.boolean()])
    .optional()
    .describe('true: sorted, streamed; false: held to the end within bounds; auto (default): held, streamed past the bounds if sorted so far.'),
  /** Most documents held open at once before an unsorted file is rejected. Default 10000. */
  maxOpenGroups: z.number().int().positive().optional().describe('Most documents held open before an unsorted file is rejected. Default 10000.'),
  /** Most records held at once before the file is rejected. Default 200000. */
  maxHeldRecords: z.number().int().positive().optional().describe('Most records held at once before the file is rejected. Default 200000.'),
  /** A record with an empty key: `error` (default; recorded as a skipped row, or rejects the file under onError: rejectFile) or `previous` (joins the group of the record before it). */
  emptyKey: z
    .enum(['error', 'previous'])
    .optional()
    .describe('A record with an empty key: error (default) or previous (joins the group of the record before it).'),
});
export type GroupByObject = z.infer<typeof GroupByObjectSchema>;

/** How records become documents: a key (short form) or the long form. Default: the value of document.orderNumber. */
export const GroupBySchema = z
  .union([z.string().min(1), z.array(ValueSpecSchema).min(1), GroupByObjectSchema])
  .describe('How records become documents: a key, a list of keys, or { key, sorted, maxOpenGroups, ... }. Default: document.orderNumber.');

const documentFieldShape: Record<string, z.ZodType> = {};
for (const name of Object.keys(DocumentSchema.shape)) {
  if (name === 'items') continue;
  documentFieldShape[name] =
    name === 'additionalFields'
      ? z.record(z.string(), ValueSpecSchema).optional().describe('Shipment additional fields: name → value.')
      : ValueSpecSchema.optional().describe(`The document's ${name}.`);
}

/**
 * Document fields, taken from the first record of each group (see `consistent`). business, facility and
 * direction default to customer.yaml; other fields to customer.yaml `defaults` when empty.
 */
export const DocumentFieldsSchema = z
  .strictObject(documentFieldShape)
  .describe('Document fields (first record of each group). business/facility/direction default from customer.yaml.') as unknown as z.ZodType<DocumentFields>;

type DocumentFieldName = Exclude<keyof typeof DocumentSchema.shape, 'items' | 'additionalFields'>;
export type DocumentFields = { [K in DocumentFieldName]?: ValueSpec } & { additionalFields?: Record<string, ValueSpec> };

const itemFieldShape: Record<string, z.ZodType> = {
  when: WhenSchema.optional().describe('Only records meeting this become items; the others still count for document fields.'),
};
for (const name of Object.keys(ItemSchema.shape)) itemFieldShape[name] = ValueSpecSchema.optional().describe(`The item's ${name}.`);

/** Item fields: one item per record of the group (that meets `when`). */
export const ItemsSchema = z
  .strictObject(itemFieldShape)
  .describe('Item fields: one item per record of the group (that meets `when`).') as unknown as z.ZodType<ItemFields>;
export type ItemFields = { when?: Condition | Condition[] } & { [K in keyof typeof ItemSchema.shape]?: ValueSpec };

export const ON_ERROR = ['rejectDocument', 'rejectFile', 'skipRow'] as const;

export const MappingSchema = z
  .strictObject({
    /** What this mapping is for, for people. */
    description: z.string().optional().describe('What this mapping is for, for people.'),
    format: FormatSchema,
    match: MatchSchema.optional(),
    /** Records that do not meet it are left out before grouping (header, trailer, other record types). */
    when: WhenSchema.optional().describe('Records that do not meet it are left out before grouping (headers, trailers, other record types).'),
    groupBy: GroupBySchema.optional(),
    /** orderItemUpdateStrategy of every document. Default: none (the platform applies OVERWRITE to items). */
    strategy: StrategySchema.optional().describe('orderItemUpdateStrategy of every document. Default: none sent (the platform uses OVERWRITE).'),
    /**
     * A record that fails (bad value, required field empty): `rejectDocument` (default) rejects its document with all
     * its errors; `rejectFile` rejects the whole file; `skipRow` leaves the record out and reports it as skipped.
     */
    onError: z
      .enum(ON_ERROR)
      .optional()
      .describe('A failing record: rejectDocument (default) rejects its document; rejectFile the file; skipRow drops and reports the record.'),
    document: DocumentFieldsSchema,
    items: ItemsSchema.optional(),
  })
  .describe('A mapping: records of one kind of customer file to documents for POST /v1/documents.');
export type Mapping = z.infer<typeof MappingSchema>;
