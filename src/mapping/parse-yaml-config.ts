import { LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import type { IntakeErrorValue } from '../errors/intake-error.ts';
import { describeSchemaIssues, type ConfigProblemAt, type IssueOverride } from './describe-schema-issues.ts';
import { describeConfigPath, locateYamlPath } from './locate-yaml-path.ts';

/** A YAML config file parsed and checked against its schema, with what is needed to place later problems. */
export interface ParsedConfig<T> {
  value: T;
  doc: Document;
  lineCounter: LineCounter;
  /** Turns a problem found after parsing (compile time) into an error placed at file:line:column. */
  place(problem: ConfigProblemAt): IntakeErrorValue;
}

export type ParseResult<T> = { ok: true; config: ParsedConfig<T> } | { ok: false; errors: IntakeErrorValue[] };

/**
 * Parses YAML text and validates it. Pure: the caller reads the file. Every error has the file, 1-based line and
 * column, and the config path (`items.quantity`) in `place.field`.
 */
export function parseYamlConfig<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
  options: { code: string; override?: IssueOverride },
): ParseResult<z.infer<S>> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const place = (problem: ConfigProblemAt): IntakeErrorValue => {
    const at = locateYamlPath(doc, lineCounter, problem.path, problem);
    // Past `transforms`, the field is what a person names ("items.quantity"); line:column finds the step.
    const cut = problem.path.indexOf('transforms');
    const fieldPath = cut >= 0 ? problem.path.slice(0, cut) : problem.path;
    return {
      code: problem.code,
      message: problem.message,
      place: { file, line: at.line, column: at.column, ...(fieldPath.length ? { field: describeConfigPath(fieldPath) } : {}) },
    };
  };
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
        return { code: 'MAPPING_YAML_SYNTAX', message: e.message.split('\n')[0]!, place: { file, line: pos.line, column: pos.col } };
      }),
    };
  }
  const data: unknown = doc.toJS() ?? {};
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    return { ok: false, errors: describeSchemaIssues(parsed.error.issues, schema, data, options.code, options.override).map(place) };
  }
  return { ok: true, config: { value: parsed.data, doc, lineCounter, place } };
}

/** `mappings/acme/orders.yaml:12:5 items.quantity: unknown transform "nubmer" (did you mean "number"?)` */
export function formatConfigError(error: IntakeErrorValue): string {
  const { file, line, column, field } = error.place;
  const where = [file, line, column].filter((p) => p !== undefined).join(':');
  return `${where}${field ? ` ${field}` : ''}: ${error.message}`;
}
