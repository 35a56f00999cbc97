import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { DocumentSchema, ItemSchema, REQUIRED_ITEM_FIELDS, STRATEGIES, type Strategy } from '../documents/document.ts';
import type { IntakeErrorValue } from '../errors/intake-error.ts';
import { compileWhen, POSITIONAL_COLUMN, type CompiledCondition } from './compile-condition.ts';
import { compileValue, type CompileContext, type CompiledValue } from './compile-value.ts';
import type { Customer } from './customer-schema.ts';
import { declaredFields } from './declared-fields.ts';
import { describeSchemaIssues, type ConfigProblemAt, type IssueOverride } from './describe-schema-issues.ts';
import type { ConfigPath } from './locate-yaml-path.ts';
import type { LookupTable } from './lookup-table.ts';
import { baseName, globToRegExp } from './match-file-name.ts';
import { MappingSchema, type FormatType, type Mapping, type ValueSpec } from './mapping-schema.ts';
import { parseYamlConfig } from './parse-yaml-config.ts';
import { didYouMean } from './suggest-name.ts';
import { findTransform, TRANSFORM_NAMES } from './transforms/transform-catalog.ts';

/** Defaults of the grouping bounds; stated once here and in the schema's descriptions. */
export const GROUPING_DEFAULTS = { sorted: 'auto', maxOpenGroups: 10_000, maxHeldRecords: 200_000, emptyKey: 'error' } as const;

/** A field of the output compiled once: where it goes, where its errors point, and the closure that computes it. */
export interface CompiledField extends CompiledValue {
  /** Output key (`quantity`). */
  name: string;
  /** Path in the mapping, for error places (`items.quantity`). */
  path: string;
  /** Why it is required when the mapping did not say so: "strategy OVERWRITE". */
  requiredBy?: string;
}

export interface CompiledGrouping {
  key: CompiledValue[];
  /** The key as people name it in messages: "PO#", "BSN02, P.PRF01". */
  label: string;
  sorted: 'auto' | boolean;
  maxOpenGroups: number;
  maxHeldRecords: number;
  emptyKey: 'error' | 'previous';
}

export interface CompiledMapping {
  /** The mapping file's name without extension (`orders` for orders.yaml). */
  name: string;
  /** The mapping file, as given to the compiler; used in messages. */
  file: string;
  /** sha256 (hex) of the mapping file's bytes; travels with every document it produced. */
  hash: string;
  /** The validated config, for tooling (preview, docs). */
  config: Mapping;
  /** Format type and the reader's options as the mapping writes them (checked by the reader's schema when one was given). */
  format: { type: FormatType } & Record<string, unknown>;
  match: { fileName: { glob: string; regex: RegExp }[]; transactionSet?: string[]; priority: number };
  filter?: CompiledCondition;
  grouping: CompiledGrouping;
  onError: 'rejectDocument' | 'rejectFile' | 'skipRow';
  strategy?: Strategy;
  documentFields: CompiledField[];
  additionalFields: CompiledField[];
  items?: { filter?: CompiledCondition; fields: CompiledField[] };
  /** business/facility/direction and customer `defaults`: used when the mapping gives no (or an empty) value. */
  defaults: Record<string, unknown>;
  /** Source field of each output field path (`items.quantity` → `Qty`), to place validation errors. */
  columns: ReadonlyMap<string, string>;
  /**
   * CSV and xlsx (every record has every column of the header): the columns the values and the grouping key read,
   * each with its alternatives and the paths reading it. A file whose header lacks one is refused: its values would
   * be empty on every row. Empty for formats whose records may lack a field (X12, fixed-width, JSON).
   */
  headerColumns: { alternatives: string[]; paths: string[] }[];
}

export interface CompileOptions {
  /** The mapping file, for messages (`mappings/acme/orders.yaml`). */
  file: string;
  /** The customer's customer.yaml, for business/facility/direction, defaults and time zone. */
  customer?: Customer;
  /** Lookup tables of the customer folder by file name; read by the loader. */
  readTable?: (name: string) => LookupTable | undefined;
  /**
   * Option schemas of the format readers by type (CsvOptionsSchema, ...), given by whoever wires the readers in;
   * a type without a schema has its options passed on unchecked.
   */
  formatOptions?: Partial<Record<FormatType, z.ZodType>>;
}

export type CompileResult = { ok: true; mapping: CompiledMapping } | { ok: false; errors: IntakeErrorValue[] };

/**
 * Compiles a mapping's YAML text into closures: parsed and validated once, so mapping a record re-reads nothing.
 * Pure: the caller reads the file and the lookup tables. Every problem is returned at once, placed at
 * file:line:column with the config path.
 */
export function compileMapping(source: string, options: CompileOptions): CompileResult {
  const parsed = parseYamlConfig(source, options.file, MappingSchema, { code: 'MAPPING_INVALID_CONFIG', override: explainTransformStep });
  if (!parsed.ok) return parsed;
  const { value: config, place } = parsed.config;
  const errors: IntakeErrorValue[] = [];
  const context: CompileContext = {
    transforms: {
      timeZone: options.customer?.timeZone ?? 'UTC',
      readTable: options.readTable ?? (() => undefined),
    },
    report: (problem) => errors.push(place(problem)),
    headerColumns: config.format.type === 'csv' || config.format.type === 'xlsx',
  };

  const format = compileFormat(config.format, options.formatOptions, context);
  // Only a layout its reader's schema accepted names the fields: a broken one is reported above, an unchecked one
  // (no schema given) may be any shape.
  const recordFields = format && options.formatOptions?.[format.type] ? declaredFields(format) : undefined;
  if (recordFields) context.recordFields = recordFields;
  const filter = config.when === undefined ? undefined : compileWhen(config.when, ['when'], context);

  const columns = new Map<string, string>();
  const field = (name: string, spec: ValueSpec, path: ConfigPath, shown: string, target?: z.ZodType): CompiledField | undefined => {
    if (target) checkConstant(spec, target, path, context);
    const compiled = compileValue(spec, path, context);
    if (!compiled) return undefined;
    if (target && compiled.dateOnly && takesOnlyMoments(target)) reportDateOnly(name, compiled.dateOnly, options.customer?.timeZone, context);
    if (compiled.column !== undefined) columns.set(shown, compiled.column);
    return { ...compiled, name, path: shown };
  };

  const documentFields: CompiledField[] = [];
  const additionalFields: CompiledField[] = [];
  for (const [name, spec] of Object.entries(config.document)) {
    if (spec === undefined) continue;
    if (name === 'additionalFields') {
      for (const [key, inner] of Object.entries(spec as Record<string, ValueSpec>)) {
        const f = field(key, inner, ['document', 'additionalFields', key], `document.additionalFields.${key}`);
        if (f) additionalFields.push(f);
      }
      continue;
    }
    const f = field(name, spec as ValueSpec, ['document', name], `document.${name}`, DocumentSchema.shape[name as keyof typeof DocumentSchema.shape]);
    if (f) documentFields.push(f);
  }

  const customer = options.customer ?? {};
  const defaults: Record<string, unknown> = { ...customer.defaults };
  for (const name of ['business', 'facility', 'direction'] as const) {
    if (customer[name] !== undefined) defaults[name] = customer[name];
    if (config.document[name] === undefined && customer[name] === undefined) {
      context.report({
        code: 'MAPPING_FIELD_NOT_SET',
        message: `${name} is not set: give document.${name} here or ${name} in customer.yaml`,
        path: ['document'],
        key: true,
      });
    }
  }
  if (config.document.orderNumber === undefined) {
    context.report({ code: 'MAPPING_FIELD_NOT_SET', message: 'orderNumber is not mapped', path: ['document'], key: true });
  }
  if (config.strategy !== undefined && config.document.orderItemUpdateStrategy !== undefined) {
    context.report({
      code: 'MAPPING_INVALID_CONFIG',
      message: 'strategy is also set at the top; keep one',
      path: ['document', 'orderItemUpdateStrategy'],
      key: true,
    });
  }
  const strategy = config.strategy ?? constantStrategy(config.document.orderItemUpdateStrategy);

  let items: CompiledMapping['items'];
  if (config.items) {
    const { when, ...itemSpecs } = config.items;
    // Known at compile time unless the strategy comes from the file: then the document check catches it.
    const itemStrategy = config.document.orderItemUpdateStrategy !== undefined && strategy === undefined ? undefined : (strategy ?? 'OVERWRITE');
    const required = new Set<string>(itemStrategy ? REQUIRED_ITEM_FIELDS[itemStrategy] : []);
    for (const name of required) {
      if ((itemSpecs as Record<string, unknown>)[name] === undefined) {
        context.report({
          code: 'MAPPING_FIELD_NOT_SET',
          message: `${name} is required by strategy ${itemStrategy} but not mapped (for a constant: ${name}: { const: ... })`,
          path: ['items'],
          key: true,
        });
      }
    }
    const fields: CompiledField[] = [];
    for (const [name, spec] of Object.entries(itemSpecs)) {
      if (spec === undefined) continue;
      if (typeof spec === 'object' && (spec as { consistent?: boolean }).consistent !== undefined) {
        context.report({ code: 'MAPPING_INVALID_CONFIG', message: 'consistent is for document fields only', path: ['items', name, 'consistent'], key: true });
      }
      const f = field(name, spec as ValueSpec, ['items', name], `items.${name}`, ItemSchema.shape[name as keyof typeof ItemSchema.shape]);
      if (!f) continue;
      if (required.has(name) && !f.required) f.requiredBy = `strategy ${itemStrategy}`;
      fields.push(f);
    }
    const itemFilter = when === undefined ? undefined : compileWhen(when, ['items', 'when'], context);
    items = { fields, ...(itemFilter ? { filter: itemFilter } : {}) };
  }

  const fileNameGlobs = config.match?.fileName === undefined ? [] : [config.match.fileName].flat();
  const fileNames = fileNameGlobs.flatMap((glob, i) => {
    try {
      return [{ glob, regex: globToRegExp(glob) }];
    } catch (e) {
      // An unbalanced brace or a reversed range ([z-a]) makes no regular expression.
      const path = Array.isArray(config.match?.fileName) ? ['match', 'fileName', i] : ['match', 'fileName'];
      context.report({ code: 'MAPPING_INVALID_CONFIG', message: `file-name pattern ${JSON.stringify(glob)} is not a valid glob: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`, path });
      return [];
    }
  });

  const grouping = compileGrouping(config, documentFields.find((f) => f.name === 'orderNumber'), context);
  // Without groupBy the key is document.orderNumber, read below anyway.
  const groupKey = config.groupBy !== undefined && grouping ? grouping.key.map((k) => ({ reads: k.reads, path: 'groupBy' })) : [];
  const headerColumns = context.headerColumns ? readColumns([...groupKey, ...documentFields, ...additionalFields, ...(items?.fields ?? [])]) : [];
  if (errors.length > 0 || !grouping || !format) {
    // In file order, as an editor lists them; the compiler visits fields in schema order.
    errors.sort((a, b) => (a.place.line ?? 0) - (b.place.line ?? 0) || Number(a.place.column ?? 0) - Number(b.place.column ?? 0));
    return { ok: false, errors };
  }

  const transactionSets = config.match?.transactionSet === undefined ? undefined : [config.match.transactionSet].flat();
  return {
    ok: true,
    mapping: {
      name: baseName(options.file).replace(/\.ya?ml$/i, ''),
      file: options.file,
      hash: createHash('sha256').update(source, 'utf8').digest('hex'),
      config,
      format,
      match: {
        fileName: fileNames,
        ...(transactionSets ? { transactionSet: transactionSets } : {}),
        priority: config.match?.priority ?? 0,
      },
      ...(filter ? { filter } : {}),
      grouping,
      onError: config.onError ?? 'rejectDocument',
      ...(config.strategy ? { strategy: config.strategy } : {}),
      documentFields,
      additionalFields,
      ...(items ? { items } : {}),
      defaults,
      columns,
      headerColumns,
    },
  };
}

/**
 * The columns the values read, once each, with every path reading them. Positional names (col7) are left out: a
 * value under a blank header cell or beyond the header has one only where it is not empty.
 */
function readColumns(values: readonly { reads: string[][]; path: string }[]): CompiledMapping['headerColumns'] {
  const byName = new Map<string, CompiledMapping['headerColumns'][number]>();
  for (const value of values) {
    for (const alternatives of value.reads) {
      if (alternatives.some((name) => POSITIONAL_COLUMN.test(name))) continue;
      const id = JSON.stringify(alternatives);
      const known = byName.get(id);
      if (!known) byName.set(id, { alternatives, paths: [value.path] });
      else if (!known.paths.includes(value.path)) known.paths.push(value.path);
    }
  }
  return [...byName.values()];
}

/**
 * A constant (`direction: { const: outbound }`, `isDangerousGood: 1`) is checked against the document schema
 * now: otherwise every document of every file would be rejected for it, found only when the first file comes.
 */
function checkConstant(spec: ValueSpec, target: z.ZodType, path: ConfigPath, context: CompileContext): void {
  let value: unknown;
  let at = path;
  if (typeof spec === 'number' || typeof spec === 'boolean') value = spec;
  else if (typeof spec === 'object' && spec.const !== undefined && !spec.transforms?.length) {
    value = spec.const;
    at = [...path, 'const'];
  } else return;
  if (value === '' || (Array.isArray(value) && value.length === 0)) return; // empty: left out of the document
  const parsed = target.safeParse(value);
  if (parsed.success) return;
  for (const problem of describeSchemaIssues(parsed.error.issues, target, value, 'MAPPING_INVALID_CONFIG')) {
    context.report({ ...problem, message: `the constant ${JSON.stringify(value)} cannot go into the document: ${problem.message}`, path: [...at, ...problem.path] });
  }
}

/** A field that refuses a date alone but takes a date-time (expectedArrivalAt, an instant). */
function takesOnlyMoments(target: z.ZodType): boolean {
  return !target.safeParse('2025-04-01').success && target.safeParse('2025-04-01T00:00:00Z').success;
}

/** A date alone for a moment: every document would be rejected ("Invalid ISO datetime"), found only when files come. */
function reportDateOnly(name: string, dateOnly: NonNullable<CompiledValue['dateOnly']>, timeZone: string | undefined, context: CompileContext): void {
  const zone =
    dateOnly.zone !== undefined
      ? `${dateOnly.zone}, the step's zone`
      : timeZone !== undefined
        ? `customer.yaml's timeZone, ${timeZone}`
        : "UTC, as customer.yaml sets no timeZone";
  context.report({
    code: 'MAPPING_DATE_ONLY',
    message:
      `${name} is a moment (a date and a time) and takes no date alone, but ${dateOnly.why}, so every document would be rejected: ` +
      `add output: datetime, as in ${dateOnly.fix} (a time without a zone, and a date alone as its midnight, is read in ${zone})`,
    path: dateOnly.path,
    ...(dateOnly.offset !== undefined ? { offset: dateOnly.offset } : {}),
  });
}

function constantStrategy(spec: ValueSpec | undefined): Strategy | undefined {
  const value = typeof spec === 'object' ? spec.const : undefined;
  return typeof value === 'string' && (STRATEGIES as readonly string[]).includes(value) ? (value as Strategy) : undefined;
}

function compileFormat(
  format: Mapping['format'],
  schemas: CompileOptions['formatOptions'],
  context: CompileContext,
): CompiledMapping['format'] | undefined {
  const schema = schemas?.[format.type];
  if (!schema) return format;
  const { type: _type, ...rest } = format;
  const parsed = schema.safeParse(rest);
  // The reader is given the options as written and resolves them itself: a parsed form (CSV's skipWhen rules
  // compiled to RegExps) is not valid input to the same schema, so every file would fail at read time.
  if (parsed.success) return format;
  for (const problem of describeSchemaIssues(parsed.error.issues, schema, rest, 'MAPPING_INVALID_CONFIG')) {
    context.report({ ...problem, path: ['format', ...problem.path] });
  }
  return undefined;
}

function compileGrouping(config: Mapping, orderNumber: CompiledValue | undefined, context: CompileContext): CompiledGrouping | undefined {
  const groupBy = config.groupBy;
  const long = typeof groupBy === 'object' && !Array.isArray(groupBy) ? groupBy : undefined;
  let specs: { spec: ValueSpec; path: ConfigPath }[];
  if (groupBy === undefined) {
    // No groupBy: one document per order number, the grouping almost every flat file wants.
    if (!orderNumber) return undefined;
    return { key: [orderNumber], label: orderNumber.label, ...GROUPING_DEFAULTS };
  }
  if (typeof groupBy === 'string') specs = [{ spec: groupBy, path: ['groupBy'] }];
  else if (Array.isArray(groupBy)) specs = groupBy.map((spec, i) => ({ spec, path: ['groupBy', i] }));
  else if (Array.isArray(groupBy.key)) specs = groupBy.key.map((spec, i) => ({ spec, path: ['groupBy', 'key', i] }));
  else specs = [{ spec: groupBy.key, path: ['groupBy', 'key'] }];
  const key = specs.map(({ spec, path }) => compileValue(spec, path, context));
  if (key.some((k) => k === undefined)) return undefined;
  const compiled = key as CompiledValue[];
  return {
    key: compiled,
    label: compiled.map((k) => k.label).join(', '),
    sorted: long?.sorted ?? GROUPING_DEFAULTS.sorted,
    maxOpenGroups: long?.maxOpenGroups ?? GROUPING_DEFAULTS.maxOpenGroups,
    maxHeldRecords: long?.maxHeldRecords ?? GROUPING_DEFAULTS.maxHeldRecords,
    emptyKey: long?.emptyKey ?? GROUPING_DEFAULTS.emptyKey,
  };
}

/**
 * A transform step that fails the schema is explained by its name: unknown (with a suggestion), missing options,
 * or the first problem with its options — instead of zod's "no union branch matched".
 */
const explainTransformStep: IssueOverride = (issue, path, value) => {
  const at = path.indexOf('transforms');
  if (at < 0 || typeof path[at + 1] !== 'number') return undefined;
  const stepPath = path.slice(0, at + 2);
  // Only the issue at the step itself (a failed union); deeper issues come from re-checking its options below.
  if (path.length !== stepPath.length || issue.code !== 'invalid_union') return undefined;
  return describeStep(value, stepPath);
};

function describeStep(step: unknown, stepPath: ConfigPath): ConfigProblemAt[] {
  const code = 'MAPPING_INVALID_CONFIG';
  if (typeof step === 'string') {
    const def = findTransform(step);
    if (!def) {
      return [{ code: 'MAPPING_UNKNOWN_TRANSFORM', message: `unknown transform ${JSON.stringify(step)}${didYouMean(step, TRANSFORM_NAMES)}`, path: stepPath }];
    }
    return [{ code, message: `transform "${step}" needs options, e.g. { ${step}: ... }`, path: stepPath }];
  }
  if (step === null || typeof step !== 'object' || Array.isArray(step) || Object.keys(step).length !== 1) {
    return [{ code, message: 'a transform is a name (trim) or { name: options } with one name', path: stepPath }];
  }
  const [name, options] = Object.entries(step)[0]!;
  const def = findTransform(name);
  if (!def) {
    return [
      { code: 'MAPPING_UNKNOWN_TRANSFORM', message: `unknown transform ${JSON.stringify(name)}${didYouMean(name, TRANSFORM_NAMES)}`, path: [...stepPath, name], key: true },
    ];
  }
  if (!def.options) return [{ code, message: `transform "${name}" takes no options; write it as - ${name}`, path: [...stepPath, name] }];
  const parsed = def.options.safeParse(options);
  if (parsed.success) return [];
  return describeSchemaIssues(parsed.error.issues, def.options, options, code).map((p) => ({ ...p, path: [...stepPath, name, ...p.path] }));
}

