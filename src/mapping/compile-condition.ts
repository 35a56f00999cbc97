import type { SourceRecord } from '../formats/record.ts';
import { checkField, compileExpr, compileRegex, type CompileContext } from './compile-value.ts';
import { describeConfigPath, type ConfigPath } from './locate-yaml-path.ts';
import { didYouMean } from './suggest-name.ts';
import { TransformError } from './transforms/transform-definition.ts';
import type { Condition } from './mapping-schema.ts';

/** A record filter; returns a Promise only when a JSONata expr is involved. */
export type CompiledCondition = (record: SourceRecord) => boolean | Promise<boolean>;

/** `when`: one condition, or a list that must all hold. */
export function compileWhen(when: Condition | Condition[], path: ConfigPath, context: CompileContext): CompiledCondition | undefined {
  if (!Array.isArray(when)) return compileCondition(when, path, context);
  return allOf(when.map((c, i) => compileCondition(c, [...path, i], context)));
}

function allOf(parts: (CompiledCondition | undefined)[]): CompiledCondition | undefined {
  if (parts.some((p) => p === undefined)) return undefined;
  const list = parts as CompiledCondition[];
  if (list.length === 1) return list[0];
  const next = (record: SourceRecord, from: number): boolean | Promise<boolean> => {
    for (let i = from; i < list.length; i++) {
      const r = list[i]!(record);
      if (r instanceof Promise) return r.then((ok) => (ok ? next(record, i + 1) : false));
      if (!r) return false;
    }
    return true;
  };
  return (record) => next(record, 0);
}

function anyOf(parts: (CompiledCondition | undefined)[]): CompiledCondition | undefined {
  if (parts.some((p) => p === undefined)) return undefined;
  const list = parts as CompiledCondition[];
  const next = (record: SourceRecord, from: number): boolean | Promise<boolean> => {
    for (let i = from; i < list.length; i++) {
      const r = list[i]!(record);
      if (r instanceof Promise) return r.then((ok) => (ok ? true : next(record, i + 1)));
      if (r) return true;
    }
    return false;
  };
  return (record) => next(record, 0);
}

/** The name CSV and xlsx give a value with no header of its own (a blank header cell, a field beyond the header). */
export const POSITIONAL_COLUMN = /^col[1-9][0-9]*(?:_[0-9]+)?$/;

/** A record's columns for a message: the first dozen, "none" when it has none. */
export function listColumns(record: SourceRecord): string {
  const known = Object.keys(record.fields);
  return (known.length > 12 ? `${known.slice(0, 12).join(', ')}, ...` : known.join(', ')) || 'none';
}

function unknownColumn(where: string, name: string, record: SourceRecord): TransformError {
  return new TransformError(
    'MAPPING_UNKNOWN_COLUMN',
    `${where} tests column ${JSON.stringify(name)}, which this file does not have (it has ${listColumns(record)})${didYouMean(name, Object.keys(record.fields))}`,
  );
}

function compileCondition(condition: Condition, path: ConfigPath, context: CompileContext): CompiledCondition | undefined {
  const parts: (CompiledCondition | undefined)[] = [];
  const name = condition.column ?? condition.field;
  const tests = (['equals', 'in', 'matches', 'empty'] as const).filter((k) => condition[k] !== undefined);
  if (name === undefined && tests.length > 0) {
    context.report({ code: 'MAPPING_INVALID_CONFIG', message: `${tests.join(', ')} needs a column or field to test`, path });
    return undefined;
  }
  if (name !== undefined) {
    if (tests.length === 0) {
      context.report({ code: 'MAPPING_INVALID_CONFIG', message: 'needs a test: equals, in, matches or empty', path });
      return undefined;
    }
    checkField(name, [...path, condition.column !== undefined ? 'column' : 'field'], undefined, context);
    // Trimmed: fixed-width and X12 values are padded, and "D " failing `equals: D` is never what anyone meant.
    const trimmed = (record: SourceRecord) => record.fields[name]?.trim() ?? '';
    // In a file with a header, a column no record has is a typo (or a changed export): testing it as empty would
    // silently keep (or drop) every record, e.g. ship the cancelled lines. Positional names (col7) are the
    // exception: a value beyond the header or under a blank header cell has one only where it is not empty.
    const where = describeConfigPath(path);
    const valueOf = context.headerColumns && !POSITIONAL_COLUMN.test(name)
      ? (record: SourceRecord) => {
          if (!Object.hasOwn(record.fields, name)) throw unknownColumn(where, name, record);
          return trimmed(record);
        }
      : trimmed;
    if (condition.equals !== undefined) {
      const expected = String(condition.equals);
      parts.push((record) => valueOf(record) === expected);
    }
    if (condition.in !== undefined) {
      const set = new Set(condition.in.map(String));
      parts.push((record) => set.has(valueOf(record)));
    }
    if (condition.matches !== undefined) {
      const regex = compileRegex(condition.matches, [...path, 'matches'], context);
      parts.push(regex && ((record) => regex.test(valueOf(record))));
    }
    if (condition.empty !== undefined) {
      const wantEmpty = condition.empty;
      parts.push((record) => (valueOf(record) === '') === wantEmpty);
    }
  }
  if (condition.expr !== undefined) {
    const run = compileExpr(condition.expr, [...path, 'expr'], context);
    parts.push(run && ((record) => run(record).then(Boolean)));
  }
  if (condition.all !== undefined) parts.push(allOf(condition.all.map((c, i) => compileCondition(c, [...path, 'all', i], context))));
  if (condition.any !== undefined) parts.push(anyOf(condition.any.map((c, i) => compileCondition(c, [...path, 'any', i], context))));
  if (condition.not !== undefined) {
    const inner = compileCondition(condition.not, [...path, 'not'], context);
    parts.push(
      inner &&
        ((record) => {
          const r = inner(record);
          return r instanceof Promise ? r.then((ok) => !ok) : !r;
        }),
    );
  }
  if (parts.length === 0) {
    context.report({ code: 'MAPPING_INVALID_CONFIG', message: 'empty condition: give column/field with a test, expr, all, any or not', path });
    return undefined;
  }
  return allOf(parts);
}
