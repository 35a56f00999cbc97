import type { z } from 'zod';
import type { MappingErrorCode } from '../mapping-error-codes.ts';
import type { LookupTable } from '../lookup-table.ts';

/**
 * A value flowing through a field's transforms: a string as read, a number, a boolean, a list of strings (after
 * `split`), or whatever a JSONata `expr` returned. `undefined` and `""` are "empty".
 */
export type Value = unknown;

/**
 * Thrown by a compiled transform when a record's value does not fit. Caught by the field evaluator, which adds
 * the place (file, line, column, field); thrown rather than returned so the happy path pays nothing.
 */
export class TransformError extends Error {
  constructor(
    readonly code: MappingErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Thrown while compiling a transform's options when they cannot work (bad regex, unknown time zone, missing
 * lookup table). `path` is relative to the transform's options, so the compiler can place it in the YAML.
 */
export class ConfigProblem extends Error {
  constructor(
    readonly code: MappingErrorCode,
    message: string,
    readonly path: readonly (string | number)[] = [],
  ) {
    super(message);
  }
}

/** What a transform may need at compile time; I/O is done by the caller (load-mappings.ts) and passed in. */
export interface TransformContext {
  /** Default IANA zone for dates without one: the customer's `timeZone`, else UTC. */
  timeZone: string;
  /** A lookup table of the customer's folder by file name, or undefined when it does not exist. */
  readTable(name: string): LookupTable | undefined;
}

export type CompiledTransform = (value: Value) => Value;

export interface TransformDefinition<Options = unknown> {
  name: string;
  /** One line for the docs and the JSON Schema. */
  summary: string;
  /**
   * Options after the name, `{ <name>: <options> }`, including the scalar shorthand if the transform has one
   * (`{ date: yyyyMMdd }`, `{ pad: 10 }`); undefined when the transform takes none.
   */
  options?: z.ZodType<Options>;
  /** The bare name (`- trim`, `Qty | number`) is allowed: the transform works without options. */
  bare: boolean;
  /** Runs on empty values too; every other transform passes an empty value through untouched. */
  acceptsEmpty?: boolean;
  /** On a list (after `split`), applies to each element. */
  elementwise: boolean;
  compile(options: Options | undefined, context: TransformContext): CompiledTransform;
  /**
   * A transform that makes dates: whether, with these options, some values come out as a date alone (yyyy-MM-dd),
   * which a field holding a moment refuses. Checked when compiling, where the target field is known.
   */
  dates?(options: Options | undefined): DateOutput;
}

/** What a date-making transform gives: `dateOnly` says why some values are a date alone, and the options that fix it. */
export interface DateOutput {
  dateOnly?: { why: string; fix: string };
  /** The step's own time zone, when it names one (else the customer's). */
  zone?: string;
}

/** Text transforms take numbers and booleans as their text, so `upper` after a lookup never surprises. */
export function asText(value: Value): string {
  return typeof value === 'string' ? value : String(value);
}
