import jsonata from 'jsonata';
import type { SourceRecord } from '../formats/record.ts';
import { undeclaredField, type DeclaredFields } from './declared-fields.ts';
import type { ConfigProblemAt } from './describe-schema-issues.ts';
import type { ConfigPath } from './locate-yaml-path.ts';
import type { ValueSpec } from './mapping-schema.ts';
import { didYouMean } from './suggest-name.ts';
import { findTransform, TRANSFORM_NAMES } from './transforms/transform-catalog.ts';
import {
  ConfigProblem,
  TransformError,
  type CompiledTransform,
  type DateOutput,
  type TransformContext,
  type TransformDefinition,
  type Value,
} from './transforms/transform-definition.ts';

/** What compiling needs besides the spec: transform context and a place to report config problems. */
export interface CompileContext {
  transforms: TransformContext;
  report(problem: ConfigProblemAt): void;
  /**
   * Every record has every column of the file's header (CSV, xlsx): a condition naming a column no record has is
   * a typo or a changed export, not an empty value.
   */
  headerColumns?: boolean;
  /**
   * The fields a record can have, when the mapping declares them (a fixed-width layout): a name outside them is a
   * typo or a missing prefix, and would read as empty on every record.
   */
  recordFields?: DeclaredFields;
}

/** A value spec compiled once into closures; `evaluate` may return a Promise (only when a JSONata expr is involved). */
export interface CompiledValue {
  evaluate(record: SourceRecord): Value | Promise<Value>;
  /** The record field the value comes from (first one of a list or template), for error places. */
  column?: string;
  /**
   * Every record field the value reads, each as its alternatives (`field: [A, B]` needs one of them); an `expr`
   * reads what it reads and lists none. A file with a header must have them (see map-records.ts).
   */
  reads: string[][];
  /** How the value is named in messages: the field, the template, or "expr". */
  label: string;
  async: boolean;
  required: boolean;
  pattern?: RegExp;
  consistent: boolean;
  /** Its last date-making transform gives some values as a date alone: why, the fix, and where that step is. */
  dateOnly?: { why: string; fix: string; zone?: string; path: ConfigPath; offset?: number };
}

export function isEmpty(value: Value): boolean {
  return value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);
}

interface Step {
  run: CompiledTransform;
  acceptsEmpty: boolean;
  elementwise: boolean;
  /** A date-making step: what it gives, and where it is. */
  dates?: { output: DateOutput; path: ConfigPath; offset?: number };
}

/** Compiles a field's value spec, reporting problems to the context; undefined when it cannot be compiled. */
export function compileValue(spec: ValueSpec, path: ConfigPath, context: CompileContext): CompiledValue | undefined {
  if (typeof spec === 'number' || typeof spec === 'boolean') {
    return { evaluate: () => spec, label: JSON.stringify(spec), reads: [], async: false, required: false, consistent: false };
  }
  if (typeof spec === 'string') return compileShortForm(spec, path, context);

  const sources = (['column', 'field', 'const', 'template', 'expr'] as const).filter((k) => spec[k] !== undefined);
  if (sources.length !== 1) {
    context.report({
      code: 'MAPPING_INVALID_CONFIG',
      message:
        sources.length === 0
          ? 'needs a source: one of column, field, const, template, expr'
          : `has ${sources.join(' and ')}; give exactly one source`,
      path,
    });
    return undefined;
  }
  const which = sources[0]!;
  let source: Omit<CompiledValue, 'required' | 'pattern' | 'consistent'> | undefined;
  if (which === 'column' || which === 'field') {
    const names = spec[which]!;
    source = fieldSource(names);
    if (typeof names === 'string') checkField(names, [...path, which], undefined, context);
    else names.forEach((name, i) => checkField(name, [...path, which, i], undefined, context));
  } else if (which === 'const') {
    const value = spec.const;
    source = { evaluate: () => value, label: JSON.stringify(value), reads: [], async: false };
  } else if (which === 'template') source = templateSource(spec.template!, [...path, 'template'], 0, context);
  else source = exprSource(spec.expr!, [...path, 'expr'], context);

  let ok = source !== undefined;
  const steps: Step[] = [];
  (spec.transforms ?? []).forEach((step, i) => {
    const stepPath = [...path, 'transforms', i];
    const [name, options, hasOptions] =
      typeof step === 'string' ? [step, undefined, false] : [Object.keys(step)[0]!, Object.values(step)[0], true];
    const compiled = compileStep(name, options, hasOptions, stepPath, hasOptions ? [...stepPath, name] : stepPath, undefined, context);
    if (compiled) steps.push(compiled);
    else ok = false;
  });
  const pattern = spec.pattern === undefined ? undefined : compileRegex(spec.pattern, [...path, 'pattern'], context);
  if (spec.pattern !== undefined && !pattern) ok = false;
  if (!ok || !source) return undefined;
  return {
    ...withSteps(source, steps),
    required: spec.required ?? false,
    ...(pattern ? { pattern } : {}),
    consistent: spec.consistent ?? false,
  };
}

/** "Qty | trim | number", "I.DTM02 | date(yyyyMMdd)", "{{PO#}}-{{Line}} | upper". */
function compileShortForm(text: string, path: ConfigPath, context: CompileContext): CompiledValue | undefined {
  const parts = splitPipes(text);
  const head = parts[0]!;
  if (head.text === '') {
    context.report({ code: 'MAPPING_INVALID_CONFIG', message: 'needs a field name before "|"', path, offset: head.offset });
    return undefined;
  }
  let source: Omit<CompiledValue, 'required' | 'pattern' | 'consistent'> | undefined;
  if (head.text.includes('{{')) source = templateSource(head.text, path, head.offset, context);
  else {
    source = fieldSource(head.text);
    checkField(head.text, path, head.offset, context);
  }
  let ok = source !== undefined;
  const steps: Step[] = [];
  for (const part of parts.slice(1)) {
    const m = /^([A-Za-z]+)\s*(?:\((.*)\))?$/s.exec(part.text);
    if (!m) {
      context.report({
        code: 'MAPPING_INVALID_CONFIG',
        message: `${JSON.stringify(part.text)} is not a transform; write name or name(option)`,
        path,
        offset: part.offset,
      });
      ok = false;
      continue;
    }
    const step = compileStep(m[1]!, m[2]?.trim(), m[2] !== undefined, path, path, part.offset, context);
    if (step) steps.push(step);
    else ok = false;
  }
  if (!ok || !source) return undefined;
  return { ...withSteps(source, steps), required: false, consistent: false };
}

/** Splits at `|` outside `{{ }}`, keeping each part's offset in the text (for line:column of a bad step). */
function splitPipes(text: string): { text: string; offset: number }[] {
  const parts: { text: string; offset: number }[] = [];
  let depth = 0;
  let start = 0;
  const push = (end: number) => {
    const raw = text.slice(start, end);
    const lead = raw.length - raw.trimStart().length;
    parts.push({ text: raw.trim(), offset: start + lead });
  };
  for (let i = 0; i < text.length; i++) {
    if (text.startsWith('{{', i)) {
      depth++;
      i++;
    } else if (text.startsWith('}}', i)) {
      depth = Math.max(0, depth - 1);
      i++;
    } else if (text[i] === '|' && depth === 0) {
      push(i);
      start = i + 1;
    }
  }
  push(text.length);
  return parts;
}

function compileStep(
  name: string,
  options: unknown,
  hasOptions: boolean,
  stepPath: ConfigPath,
  optionsPath: ConfigPath,
  offset: number | undefined,
  context: CompileContext,
): Step | undefined {
  const at = (message: string, code = 'MAPPING_INVALID_CONFIG'): undefined => {
    context.report({ code, message, path: stepPath, ...(offset !== undefined ? { offset } : {}), key: offset === undefined && hasOptions });
    return undefined;
  };
  const def = findTransform(name);
  if (!def) return at(`unknown transform ${JSON.stringify(name)}${didYouMean(name, TRANSFORM_NAMES)}`, 'MAPPING_UNKNOWN_TRANSFORM');
  let parsedOptions: unknown = undefined;
  if (hasOptions) {
    if (!def.options) return at(`transform "${name}" takes no options`);
    parsedOptions = offset === undefined ? options : parseShortArgument(def, String(options));
    if (parsedOptions === undefined) {
      return at(`transform "${name}" cannot take ${JSON.stringify(options)} here; use the long form { ${name}: { ... } }`);
    }
  } else if (!def.bare) {
    return at(`transform "${name}" needs options, e.g. { ${name}: ... }`);
  }
  try {
    const step: Step = { run: def.compile(parsedOptions, context.transforms), acceptsEmpty: def.acceptsEmpty ?? false, elementwise: def.elementwise };
    if (def.dates) step.dates = { output: def.dates(parsedOptions), path: stepPath, ...(offset !== undefined ? { offset } : {}) };
    return step;
  } catch (e) {
    if (!(e instanceof ConfigProblem)) throw e;
    context.report({
      code: e.code,
      message: e.message,
      path: offset === undefined ? [...optionsPath, ...e.path] : stepPath,
      ...(offset !== undefined ? { offset } : {}),
    });
    return undefined;
  }
}

// In "x | date(yyyyMMdd)" the argument is text; a transform whose shorthand is a number (pad) or boolean gets one.
function parseShortArgument(def: TransformDefinition<unknown>, arg: string): unknown {
  const candidates: unknown[] = [arg];
  if (arg !== '' && Number.isFinite(Number(arg))) candidates.push(Number(arg));
  if (arg === 'true' || arg === 'false') candidates.push(arg === 'true');
  for (const candidate of candidates) {
    const parsed = def.options!.safeParse(candidate);
    if (parsed.success) return parsed.data;
  }
  return undefined;
}

/** Reports a field no record can have, when the mapping declares the fields (see CompileContext.recordFields). */
export function checkField(name: string, path: ConfigPath, offset: number | undefined, context: CompileContext): void {
  const problem = context.recordFields && undeclaredField(name, context.recordFields);
  if (problem) context.report({ code: 'MAPPING_UNKNOWN_FIELD', message: problem, path, ...(offset !== undefined ? { offset } : {}) });
}

function fieldSource(names: string | string[]): Omit<CompiledValue, 'required' | 'pattern' | 'consistent'> {
  if (typeof names === 'string' || names.length === 1) {
    const name = typeof names === 'string' ? names : names[0]!;
    return { evaluate: (record) => record.fields[name], column: name, label: name, reads: [[name]], async: false };
  }
  const list = names;
  return {
    evaluate: (record) => {
      for (const name of list) {
        const v = record.fields[name];
        if (v !== undefined && v !== '') return v;
      }
      return undefined;
    },
    column: list[0]!,
    label: list.join(' or '),
    reads: [list],
    async: false,
  };
}

function templateSource(
  template: string,
  path: ConfigPath,
  offset: number,
  context: CompileContext,
): Omit<CompiledValue, 'required' | 'pattern' | 'consistent'> | undefined {
  const literals: string[] = [];
  const names: string[] = [];
  let last = 0;
  for (const m of template.matchAll(/\{\{(.*?)\}\}/g)) {
    const name = m[1]!.trim();
    if (name === '') {
      context.report({ code: 'MAPPING_INVALID_CONFIG', message: 'empty {{ }} in template', path, offset: offset + m.index });
      return undefined;
    }
    checkField(name, path, offset + m.index + 2 + (m[1]!.length - m[1]!.trimStart().length), context);
    literals.push(template.slice(last, m.index));
    names.push(name);
    last = m.index + m[0].length;
  }
  literals.push(template.slice(last));
  if (names.length === 0) return { evaluate: () => template, label: JSON.stringify(template), reads: [], async: false };
  return {
    // Empty when every placeholder is empty, so `required` and `default` see "no value", not "-".
    evaluate: (record) => {
      const fields = record.fields;
      let out = literals[0]!;
      let any = false;
      for (let i = 0; i < names.length; i++) {
        const v = fields[names[i]!];
        if (v !== undefined && v !== '') {
          any = true;
          out += v;
        }
        out += literals[i + 1]!;
      }
      return any ? out : '';
    },
    column: names[0]!,
    label: JSON.stringify(template),
    reads: names.map((name) => [name]),
    async: false,
  };
}

/** A compiled JSONata expression; shared by values and `when` conditions. */
/**
 * Bounds on one evaluation of an `expr` (JSONata's own guardrails): a recursive function without an end, or a
 * loop, must fail that record (MAPPING_EXPR_FAILED), not hold the parse worker that serves every customer.
 */
const EXPR_TIMEOUT_MS = 1000;
const EXPR_MAX_DEPTH = 2000;

export function compileExpr(
  expr: string,
  path: ConfigPath,
  context: CompileContext,
): ((record: SourceRecord) => Promise<unknown>) | undefined {
  let expression: jsonata.Expression;
  try {
    expression = jsonata(expr, { timeout: EXPR_TIMEOUT_MS, stack: EXPR_MAX_DEPTH });
  } catch (e) {
    const err = e as { message?: string; position?: number };
    context.report({
      code: 'MAPPING_BAD_EXPR',
      message: `invalid JSONata expression: ${err.message ?? String(e)}`,
      path,
      ...(typeof err.position === 'number' ? { offset: Math.max(0, err.position - 1) } : {}),
    });
    return undefined;
  }
  return (record) =>
    expression.evaluate(record.fields, { provenance: record.provenance }).then(
      (result: unknown) => (Array.isArray(result) ? Array.from(result) : result),
      (e: { message?: string }) => {
        throw new TransformError('MAPPING_EXPR_FAILED', `expression ${JSON.stringify(expr)} failed: ${e.message ?? String(e)}`);
      },
    );
}

function exprSource(
  expr: string,
  path: ConfigPath,
  context: CompileContext,
): Omit<CompiledValue, 'required' | 'pattern' | 'consistent'> | undefined {
  const run = compileExpr(expr, path, context);
  return run && { evaluate: run, label: 'expr', reads: [], async: true };
}

function withSteps(
  source: Omit<CompiledValue, 'required' | 'pattern' | 'consistent'>,
  steps: Step[],
): Omit<CompiledValue, 'required' | 'pattern' | 'consistent'> {
  if (steps.length === 0) return source;
  const dates = steps.findLast((step) => step.dates)?.dates;
  const dateOnly = dates?.output.dateOnly && {
    ...dates.output.dateOnly,
    ...(dates.output.zone !== undefined ? { zone: dates.output.zone } : {}),
    path: dates.path,
    ...(dates.offset !== undefined ? { offset: dates.offset } : {}),
  };
  const chain = (input: Value): Value => {
    let v = input;
    for (const step of steps) {
      if (!step.acceptsEmpty && isEmpty(v)) continue;
      v = step.elementwise && Array.isArray(v) ? v.map((e) => step.run(e)) : step.run(v);
    }
    return v;
  };
  const evaluate = source.evaluate;
  return {
    ...source,
    ...(dateOnly ? { dateOnly } : {}),
    evaluate: source.async
      ? (record) => (evaluate(record) as Promise<Value>).then(chain)
      : (record) => chain(evaluate(record)),
  };
}

export function compileRegex(pattern: string, path: ConfigPath, context: CompileContext): RegExp | undefined {
  try {
    return new RegExp(pattern, 'u');
  } catch (e) {
    context.report({ code: 'MAPPING_BAD_REGEX', message: `invalid regular expression: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`, path });
    return undefined;
  }
}
