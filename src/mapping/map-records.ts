import { effectiveStrategy, type Document } from '../documents/document.ts';
import { IntakeError, type IntakeErrorValue, type Place } from '../errors/intake-error.ts';
import { fieldSegment, type SourceRecord } from '../formats/record.ts';
import { listColumns } from './compile-condition.ts';
import type { CompiledField, CompiledMapping } from './compile-mapping.ts';
import { isEmpty } from './compile-value.ts';
import type { Mapping } from './mapping-schema.ts';
import { KEY_SEPARATOR, RecordGrouper, showKey, type RecordGroup } from './group-records.ts';
import { suggestName } from './suggest-name.ts';
import { TransformError, type Value } from './transforms/transform-definition.ts';
import { validateDocument } from './validate-document.ts';
import { orderKeyOf } from '../documents/order-key.ts';

/** First and last line (or segment) of a run of consecutive records. */
export type Span = [first: number, last: number];

/** The records a document (or a skipped row) came from, as spans of lines (text formats) or segments (X12). */
export interface Sources {
  file: string;
  lines?: Span[];
  segments?: Span[];
}

export type MappingOutput =
  | {
      kind: 'document';
      /** 0-based position among documents and rejected documents of the file, in order of their first record. */
      index: number;
      document: Document;
      sources: Sources;
      mappingHash: string;
      /** X12 test data (ISA15 = T): mapped and validated, never submitted. */
      test?: boolean;
    }
  | {
      kind: 'rejected-document';
      index: number;
      errors: IntakeErrorValue[];
      sources: Sources;
      mappingHash: string;
      /** What could be assembled (orderNumber, items...), for the result file; not valid. */
      partial?: unknown;
      test?: boolean;
    }
  | {
      kind: 'skipped-row';
      /** The first error; `errors` has all of them. */
      error: IntakeErrorValue;
      errors: IntakeErrorValue[];
      sources: Sources;
    };

/** What mapRecords tells once every record is read (the generator's return value). */
export interface MappingSummary {
  /**
   * Records the mapping's `when` left out: excluded by design (other record types, cancelled lines), not errors,
   * so they are counted rather than reported one by one.
   */
  excludedRecords: number;
}

export interface MappingContext {
  /** The file's name, for messages when a record's provenance has none. */
  file: string;
  /** The customer slug, for logs and future bindings. */
  customer: string;
}

/** Most errors kept for one document: a file with a wrong column gives one error per line, and a hundred tell the story. */
const MAX_ERRORS_PER_DOCUMENT = 100;

/**
 * Records in, documents out: filters, groups, evaluates the compiled fields, assembles and validates each document.
 * Outputs come in the order of each document's first record; skipped rows come as they are found.
 * A file-level rejection (rejectFile, group limits, unsorted file, a column the header lacks) is thrown as
 * IntakeError: a consumer must then treat the file as rejected as a whole, including documents already yielded.
 *
 * Groups held to the end of the file (every group of a file that fits the groupBy bounds) are evaluated and their
 * outputs held too, so that an order split over several groups can still be refused as a whole (see OrderLedger).
 */
export async function* mapRecords(
  compiled: CompiledMapping,
  records: AsyncIterable<SourceRecord> | Iterable<SourceRecord>,
  context: MappingContext,
): AsyncGenerator<MappingOutput, MappingSummary> {
  const grouping = compiled.grouping;
  const grouper = new RecordGrouper(grouping);
  const evaluator = new GroupEvaluator(compiled, context);
  const orders = new OrderLedger(compiled, context);
  const keyParts = grouping.key;
  let lastKey: string | undefined;
  let excludedRecords = 0;
  let headerChecked = false;

  for await (const record of records) {
    if (!headerChecked) {
      rejectFileOnMissingColumns(compiled, record, context);
      headerChecked = true;
    }
    if (compiled.filter) {
      let keep: boolean | Promise<boolean>;
      try {
        keep = compiled.filter(record);
        if (keep instanceof Promise) keep = await keep;
      } catch (e) {
        evaluator.rejectFileOnUnknownColumn(e, record, 'when');
        yield* evaluator.rowFailure(record, [evaluator.errorOf(e, record, undefined, 'when')]);
        continue;
      }
      if (!keep) {
        excludedRecords++;
        continue;
      }
    }

    let key: string;
    try {
      key = '';
      let any = false;
      for (let i = 0; i < keyParts.length; i++) {
        let v = keyParts[i]!.evaluate(record);
        if (v instanceof Promise) v = await v;
        const text = isEmpty(v) ? '' : String(v);
        if (text !== '') any = true;
        key = i === 0 ? text : key + KEY_SEPARATOR + text;
      }
      if (!any) key = '';
    } catch (e) {
      yield* evaluator.rowFailure(record, [evaluator.errorOf(e, record, keyParts[0], 'groupBy')]);
      continue;
    }
    if (key === '') {
      if (grouping.emptyKey === 'previous' && lastKey !== undefined) key = lastKey;
      else {
        const error = evaluator.placed(
          'MAPPING_EMPTY_GROUP_KEY',
          `the grouping key (${grouping.label}) is empty, so this record belongs to no order`,
          record,
          keyParts[0],
          'groupBy',
        );
        yield* evaluator.rowFailure(record, [error]);
        continue;
      }
    }
    lastKey = key;
    const closed = grouper.add(key, record);
    for (const group of closed) {
      for await (const output of evaluator.evaluate(group)) {
        if (output.kind === 'document') orders.add(output, group.key, false);
        yield output;
      }
    }
  }
  const held: MappingOutput[] = [];
  for (const group of grouper.finish()) {
    for await (const output of evaluator.evaluate(group)) {
      if (output.kind === 'document') orders.add(output, group.key, true);
      held.push(output);
    }
  }
  for (const output of held) yield orders.settle(output);
  return { excludedRecords };
}

/**
 * A file with a header (CSV, xlsx) gives every record every column, so a column the mapping reads and the header
 * lacks (a renamed export column, a typo, a different case) would read as empty on every row: a `default` quietly
 * used, every row "without" an order. The file is refused once instead, naming the columns. A `default` does not
 * excuse a missing column: it is for empty cells.
 */
function rejectFileOnMissingColumns(compiled: CompiledMapping, record: SourceRecord, context: MappingContext): void {
  const missing = compiled.headerColumns.filter(({ alternatives }) => !alternatives.some((name) => Object.hasOwn(record.fields, name)));
  if (missing.length === 0) return;
  const known = Object.keys(record.fields);
  let caseOnly = false;
  const named = missing.map(({ alternatives, paths }) => {
    const hints = alternatives.flatMap((name) => {
      const sameLetters = known.find((column) => column.toLowerCase() === name.toLowerCase());
      if (sameLetters !== undefined) {
        caseOnly = true;
        return [`the file has ${JSON.stringify(sameLetters)}`];
      }
      const suggestion = suggestName(name, known);
      return suggestion === undefined ? [] : [`did you mean ${JSON.stringify(suggestion)}?`];
    });
    const only = alternatives.length === 1 ? alternatives[0]! : undefined;
    if (hints.length === 0 && only !== undefined && looksConstant(compiled, only, paths)) {
      hints.push(`a constant is written { const: ${/^[\w-]+$/.test(only) ? only : JSON.stringify(only)} }`);
    }
    return `${alternatives.map((name) => JSON.stringify(name)).join(' or ')} (${[paths.join(', '), ...hints].join('; ')})`;
  });
  const columns = named.length === 1 ? `column ${named[0]}` : `columns ${named.slice(0, -1).join(', ')} and ${named.at(-1)}`;
  throw IntakeError.of(
    'MAPPING_UNKNOWN_COLUMN',
    `the mapping reads ${columns}, which this file does not have (it has ${listColumns(record)}): every row would read ${named.length === 1 ? 'it' : 'them'} as empty${caseOnly ? '; column names are case-sensitive' : ''}`,
    { file: record.provenance.file || context.file, field: missing[0]!.paths[0]! },
  );
}

/**
 * A bare word (`quantityUnit: CASE`, `CASE | upper`) that is no column of the file and near none was likely meant
 * as a constant. Not a grouping key: a constant one would make the whole file one order.
 */
function looksConstant(compiled: CompiledMapping, name: string, paths: readonly string[]): boolean {
  if (paths.includes('groupBy')) return false;
  return paths.some((path) => {
    const spec = specAt(compiled.config, path);
    return typeof spec === 'string' && spec.split('|')[0]!.trim() === name;
  });
}

/** What the mapping wrote for a value path (`items.quantityUnit`, `document.additionalFields.note`). */
function specAt(config: Mapping, path: string): unknown {
  const additional = 'document.additionalFields.';
  if (path.startsWith(additional)) return config.document.additionalFields?.[path.slice(additional.length)];
  if (path.startsWith('document.')) return (config.document as Record<string, unknown>)[path.slice('document.'.length)];
  if (path.startsWith('items.')) return (config.items as Record<string, unknown> | undefined)?.[path.slice('items.'.length)];
  return undefined;
}

/** An order with a document held to the end of the file, or with several: its groups as shown, and what became of it. */
interface OrderSeen {
  groups: string[];
  /** A document of the order went out before the end of the file. */
  emitted: boolean;
  refused: boolean;
}

/**
 * Nothing in one file may silently overwrite another part of it. Two groups making documents for one order (a
 * grouping key that differs where orderNumber does not: "RX-1" and "RX-1 " grouped apart, both trimmed to order
 * RX-1) would be applied one after the other, and a later OVERWRITE replaces the items of the earlier: the file
 * would end COMPLETED with lines lost. Several documents per order are normal under MERGE, APPEND and DELETE (and
 * without items); an OVERWRITE after another document of its order refuses every document of that order, so
 * none of it is applied half. When a document of the order already went out (groups streamed: groupBy.sorted,
 * or past the groupBy bounds) it cannot be taken back, and the file is refused as a whole.
 *
 * One entry per order is remembered, as the grouper remembers one per closed key: for an order with one document
 * that went out (every order of a large sorted file) only its group as shown, a string.
 */
class OrderLedger {
  private readonly orders = new Map<string, OrderSeen | string>();

  constructor(
    private readonly compiled: CompiledMapping,
    private readonly context: MappingContext,
  ) {}

  /** Notes a document; `held` when it is not yielded before the end of the file. Throws when it cannot be refused alone. */
  add(output: Extract<MappingOutput, { kind: 'document' }>, key: string, held: boolean): void {
    const id = orderKeyOf(output.document);
    const shown = `${this.compiled.grouping.label} ${showKey(key)} (${describeSources(output.sources)})`;
    const known = this.orders.get(id);
    if (known === undefined) {
      this.orders.set(id, held ? { groups: [shown], emitted: false, refused: false } : shown);
      return;
    }
    const seen = typeof known === 'string' ? { groups: [known], emitted: true, refused: false } : known;
    this.orders.set(id, seen);
    seen.groups.push(shown);
    seen.emitted ||= !held;
    seen.refused ||= effectiveStrategy(output.document) === 'OVERWRITE';
    if (!seen.refused) return;
    if (this.compiled.onError === 'rejectFile') throw rejectFile([this.splitError(output, seen, 'none of the file is applied')]);
    if (seen.emitted) {
      const streamed = 'the file is mapped as it is read (groupBy.sorted, or past its bounds), so the first document cannot be held back: none of the file is applied';
      throw new IntakeError(this.splitError(output, seen, streamed));
    }
  }

  /** A held output as it goes out: a document of a refused order becomes a rejected document. */
  settle(output: MappingOutput): MappingOutput {
    if (output.kind !== 'document') return output;
    const seen = this.orders.get(orderKeyOf(output.document));
    if (typeof seen !== 'object' || !seen.refused) return output;
    const { document, ...common } = output;
    return { ...common, kind: 'rejected-document', errors: [this.splitError(output, seen, 'no document of this order is applied')], partial: document };
  }

  private splitError(output: Extract<MappingOutput, { kind: 'document' }>, seen: OrderSeen, consequence: string): IntakeErrorValue {
    // The fix, with the mapping's own orderNumber (trimmed, as the document schema trims it) when it is a short form.
    const orderNumber = this.compiled.config.document.orderNumber;
    const trimmed = typeof orderNumber === 'string' ? (/\btrim\b/.test(orderNumber) ? orderNumber : `${orderNumber} | trim`) : undefined;
    const fix =
      this.compiled.config.groupBy === undefined
        ? `documents are grouped by orderNumber as mapped, but sent trimmed: map it with trim${trimmed ? ` (orderNumber: ${trimmed})` : ''}`
        : `the grouping key must give one group per order: group by the value mapped to orderNumber, with the same transforms${trimmed ? ` (groupBy: ${trimmed})` : ''}`;
    const groups = seen.groups;
    const message =
      `order ${JSON.stringify(output.document.orderNumber)} comes from ${groups.length} groups of this file, ${groups.slice(0, -1).join(', ')} and ${groups.at(-1)}, ` +
      `and each would replace the items of the one before (OVERWRITE): ${consequence}; ${fix}`;
    const place: Place = { file: output.sources.file || this.context.file, field: 'groupBy' };
    const line = output.sources.lines?.[0]?.[0];
    if (line !== undefined) place.line = line;
    const segment = output.sources.segments?.[0]?.[0];
    if (segment !== undefined) place.segment = segment;
    return { code: 'MAPPING_ORDER_SPLIT', message, place };
  }
}

/** "lines 2, 4-6", "line 3", "segments 5-9". */
function describeSources(sources: Sources): string {
  const [unit, spans] = sources.segments ? ['segment', sources.segments] : ['line', sources.lines ?? []];
  const single = spans.length === 1 && spans[0]![0] === spans[0]![1];
  return `${unit}${single ? '' : 's'} ${spans.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(', ')}`;
}

/** Evaluates groups; holds the document counter and everything compiled once for the file. */
class GroupEvaluator {
  private index = 0;
  private readonly consistentFields: CompiledField[];

  constructor(
    private readonly compiled: CompiledMapping,
    private readonly context: MappingContext,
  ) {
    this.consistentFields = compiled.documentFields.filter((f) => f.consistent);
  }

  /** A record that fails on its own (filter, key): skipped and reported, or the file rejected. */
  *rowFailure(record: SourceRecord, errors: IntakeErrorValue[]): Generator<MappingOutput> {
    if (this.compiled.onError === 'rejectFile') throw rejectFile(errors);
    yield { kind: 'skipped-row', error: errors[0]!, errors, sources: sourcesOf([record], this.context.file) };
  }

  async *evaluate(group: RecordGroup): AsyncGenerator<MappingOutput> {
    const { compiled } = this;
    const onError = compiled.onError;
    let docValues: Record<string, unknown> | undefined;
    let additional: Record<string, unknown> | undefined;
    let docRecord: SourceRecord | undefined;
    const items: Record<string, unknown>[] = [];
    const itemRecords: SourceRecord[] = [];
    const errors: IntakeErrorValue[] = [];
    const kept: SourceRecord[] = [];

    for (const record of group.records) {
      const rowErrors: IntakeErrorValue[] = [];
      const first = docRecord === undefined;
      let rowDoc: Record<string, unknown> | undefined;
      let rowAdditional: Record<string, unknown> | undefined;
      if (first) {
        rowDoc = {};
        const pending = this.fields(compiled.documentFields, record, rowDoc, rowErrors);
        if (pending) await pending;
        if (compiled.additionalFields.length > 0) {
          rowAdditional = {};
          const more = this.fields(compiled.additionalFields, record, rowAdditional, rowErrors);
          if (more) await more;
        }
      } else if (this.consistentFields.length > 0) {
        const values: Record<string, unknown> = {};
        const pending = this.fields(this.consistentFields, record, values, rowErrors);
        if (pending) await pending;
        for (const field of this.consistentFields) {
          const here = values[field.name];
          const there = docValues![field.name];
          if (!sameValue(here, there)) {
            rowErrors.push(
              this.placed(
                'MAPPING_INCONSISTENT_FIELD',
                `${field.name} is ${JSON.stringify(here ?? '')} here but ${JSON.stringify(there ?? '')} on the first record of this order (${describeRecord(docRecord!)}); consistent: true requires every record of an order to agree`,
                record,
                field,
              ),
            );
          }
        }
      }

      let item: Record<string, unknown> | undefined;
      const itemSpec = compiled.items;
      if (itemSpec) {
        let wanted: boolean | Promise<boolean> = true;
        try {
          if (itemSpec.filter) {
            wanted = itemSpec.filter(record);
            if (wanted instanceof Promise) wanted = await wanted;
          }
        } catch (e) {
          this.rejectFileOnUnknownColumn(e, record, 'items.when');
          rowErrors.push(this.errorOf(e, record, undefined, 'items.when'));
          wanted = false;
        }
        if (wanted) {
          item = {};
          const pending = this.fields(itemSpec.fields, record, item, rowErrors);
          if (pending) await pending;
        }
      }

      if (rowErrors.length > 0) {
        if (onError === 'rejectFile') throw rejectFile(rowErrors);
        if (onError === 'skipRow') {
          yield { kind: 'skipped-row', error: rowErrors[0]!, errors: rowErrors, sources: sourcesOf([record], this.context.file) };
          continue;
        }
        for (const e of rowErrors) if (errors.length < MAX_ERRORS_PER_DOCUMENT) errors.push(e);
      }
      kept.push(record);
      if (first) {
        docRecord = record;
        docValues = rowDoc;
        additional = rowAdditional;
      }
      if (item) {
        items.push(item);
        itemRecords.push(record);
      }
    }
    if (docRecord === undefined) return; // every record was skipped, and each was reported

    const candidate: Record<string, unknown> = { ...compiled.defaults, ...docValues };
    if (additional && Object.keys(additional).length > 0) {
      candidate.additionalFields = { ...(compiled.defaults.additionalFields as Record<string, unknown> | undefined), ...additional };
    }
    if (compiled.strategy) candidate.orderItemUpdateStrategy = compiled.strategy;
    if (items.length > 0) candidate.items = items;

    const sources = sourcesOf(kept, this.context.file);
    const test = kept.some((r) => r.provenance.test === true);
    const index = this.index++;
    const common = { index, sources, mappingHash: compiled.hash, ...(test ? { test: true } : {}) };
    if (errors.length > 0) {
      yield { kind: 'rejected-document', ...common, errors, partial: candidate };
      return;
    }
    const checked = validateDocument(candidate, {
      documentPlace: this.place(docRecord),
      itemPlaces: itemRecords.map((r) => this.place(r)),
      columns: compiled.columns,
      fieldPlace: (item, column) => this.fieldPlace(item === undefined ? docRecord : itemRecords[item]!, column),
    });
    if (!checked.ok) {
      if (onError === 'rejectFile') throw rejectFile(checked.errors);
      yield { kind: 'rejected-document', ...common, errors: checked.errors, partial: candidate };
      return;
    }
    yield { kind: 'document', ...common, document: checked.document };
  }

  /**
   * Evaluates fields into `target` (empty values are left out), collecting errors. Synchronous unless a field is
   * async (JSONata): then it continues in a Promise from that field on, so mappings without `expr` never wait.
   */
  private fields(
    fields: readonly CompiledField[],
    record: SourceRecord,
    target: Record<string, unknown>,
    errors: IntakeErrorValue[],
    from = 0,
  ): void | Promise<void> {
    for (let i = from; i < fields.length; i++) {
      const field = fields[i]!;
      let value: Value;
      try {
        value = field.evaluate(record);
      } catch (e) {
        errors.push(this.errorOf(e, record, field));
        continue;
      }
      if (value instanceof Promise) {
        return value.then(
          (resolved) => {
            this.settle(field, resolved, record, target, errors);
            return this.fields(fields, record, target, errors, i + 1);
          },
          (e: unknown) => {
            errors.push(this.errorOf(e, record, field));
            return this.fields(fields, record, target, errors, i + 1);
          },
        );
      }
      this.settle(field, value, record, target, errors);
    }
  }

  private settle(field: CompiledField, value: Value, record: SourceRecord, target: Record<string, unknown>, errors: IntakeErrorValue[]): void {
    if (isEmpty(value)) {
      if (field.required || field.requiredBy) errors.push(this.requiredError(field, record));
      return;
    }
    if (field.pattern) {
      const pattern = field.pattern;
      const texts = Array.isArray(value) ? value.map(String) : [String(value)];
      const bad = texts.find((t) => !pattern.test(t));
      if (bad !== undefined) {
        errors.push(
          this.placed('MAPPING_PATTERN_MISMATCH', `${JSON.stringify(bad)} does not match the pattern ${pattern.source}`, record, field),
        );
        return;
      }
    }
    target[field.name] = value;
  }

  private requiredError(field: CompiledField, record: SourceRecord): IntakeErrorValue {
    const why = field.requiredBy ? `required by ${field.requiredBy}` : 'required';
    const label = record.provenance.segment !== undefined ? 'element' : 'column';
    let message: string;
    if (field.column !== undefined && field.label === field.column && !(field.column in record.fields)) {
      message = `${field.name} is ${why}, but this record has no ${label} ${JSON.stringify(field.column)} (it has ${listColumns(record)})`;
    } else {
      message = `${field.name} is ${why}, but its value is empty`;
    }
    return this.placed('MAPPING_REQUIRED_FIELD', message, record, field);
  }

  /**
   * A condition on a column the file does not have (CSV, xlsx: every record has the same header) fails alike on
   * every record: the file is rejected once, rather than every line reported or, worse, silently kept.
   */
  rejectFileOnUnknownColumn(e: unknown, record: SourceRecord, fieldPath: string): void {
    if (e instanceof TransformError && e.code === 'MAPPING_UNKNOWN_COLUMN') {
      const error = this.placed(e.code, e.message, record, undefined, fieldPath);
      throw IntakeError.of(error.code, error.message, error.place);
    }
  }

  errorOf(e: unknown, record: SourceRecord, field: { column?: string; path?: string } | undefined, fieldPath?: string): IntakeErrorValue {
    if (e instanceof TransformError) return this.placed(e.code, e.message, record, field, fieldPath);
    if (e instanceof IntakeError) return e.value;
    throw e;
  }

  placed(
    code: string,
    message: string,
    record: SourceRecord,
    field: { column?: string; path?: string } | undefined,
    fieldPath?: string,
  ): IntakeErrorValue {
    const place = field?.column !== undefined ? this.fieldPlace(record, field.column) : this.place(record);
    const path = field?.path ?? fieldPath;
    if (path !== undefined) place.field = path;
    return { code, message, place };
  }

  /** The place of one of a record's fields: its element's own segment (X12) or its own line (fixed-width). */
  fieldPlace(record: SourceRecord, column: string): Place {
    const place = this.place(record);
    if (place.segment !== undefined) {
      place.element = column;
      // An X12 record carries its envelope's and HL ancestors' elements: placed on the segment that holds it.
      const segment = fieldSegment(record.provenance, column);
      if (segment !== undefined) place.segment = segment;
    } else place.column = column;
    // A field carried from another line (a fixed-width header) is placed on the line that holds it.
    const line = record.provenance.fieldLines?.[column];
    if (line !== undefined) place.line = line;
    return place;
  }

  place(record: SourceRecord): Place {
    const p = record.provenance;
    const place: Place = { file: p.file || this.context.file };
    if (p.line !== undefined) place.line = p.line;
    if (p.segment !== undefined) place.segment = p.segment;
    return place;
  }
}

function rejectFile(errors: IntakeErrorValue[]): IntakeError {
  const first = errors[0]!;
  return IntakeError.of(
    'MAPPING_REJECT_FILE',
    `the mapping rejects the whole file on a bad record (onError: rejectFile): ${first.message}`,
    first.place,
    { errors },
  );
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return false;
}

function describeRecord(record: SourceRecord): string {
  const p = record.provenance;
  return p.line !== undefined ? `line ${p.line}` : p.segment !== undefined ? `segment ${p.segment}` : 'its first record';
}

/** Consecutive records merge into one span, so a sorted order of 500 lines is one [first, last]. */
export function sourcesOf(records: readonly SourceRecord[], file: string): Sources {
  const sources: Sources = { file: records[0]?.provenance.file || file };
  for (const record of records) {
    const p = record.provenance;
    if (p.line !== undefined) addSpan((sources.lines ??= []), p.line, p.lineEnd ?? p.line);
    if (p.segment !== undefined) addSpan((sources.segments ??= []), p.segment, p.segmentEnd ?? p.segment);
  }
  return sources;
}

function addSpan(spans: Span[], first: number, last: number): void {
  const tail = spans[spans.length - 1];
  if (tail && first <= tail[1] + 1 && first >= tail[0]) tail[1] = Math.max(tail[1], last);
  else spans.push([first, last]);
}
