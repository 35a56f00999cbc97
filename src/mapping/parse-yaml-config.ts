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
  const unquoted = findUnquotedTemplate(text);
  if (unquoted) {
    return {
      ok: false,
      errors: [{ code: 'MAPPING_YAML_SYNTAX', message: `a template must be quoted, else YAML reads {{ as a map: write ${JSON.stringify(unquoted.value)}`, place: { file, line: unquoted.line, column: unquoted.column } }],
    };
  }
  // logLevel error: a key that is itself a map is a mistake reported below, not a warning on stderr.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  const place = (problem: ConfigProblemAt): IntakeErrorValue => {
    const at = locateYamlPath(doc, lineCounter, problem.path, problem);
    // Past `transforms`, the field is what a person names ("items.quantity"); line:column finds the step.
    const cut = problem.path.indexOf('transforms');
    const fieldPath = cut >= 0 ? problem.path.slice(0, cut) : problem.path;
    // The field names no option, so say which one a transform lacks: "transform "lookup" needs key".
    const option = cut >= 0 ? problem.path.slice(cut + 3) : [];
    const message =
      problem.message === 'is required' && option.length > 0
        ? `transform ${JSON.stringify(problem.path[cut + 2])} needs ${describeConfigPath(option)}`
        : problem.message;
    return {
      code: problem.code,
      message,
      place: { file, line: at.line, column: at.column, ...(fieldPath.length ? { field: describeConfigPath(fieldPath) } : {}) },
    };
  };
  if (doc.errors.length > 0) {
    // Only the first: one slip (an unclosed brace) makes the parser report every line after it.
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
    const line = text.split(/\r?\n/)[pos.line - 1] ?? '';
    const hint = e.code === 'DUPLICATE_KEY' ? duplicateKeyHint(line) : bracketHint(line);
    return { ok: false, errors: [{ code: 'MAPPING_YAML_SYNTAX', message: `${e.message.split('\n')[0]!}${hint}`, place: { file, line: pos.line, column: pos.col } }] };
  }
  const data: unknown = doc.toJS() ?? {};
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const errors = describeSchemaIssues(parsed.error.issues, schema, data, options.code, options.override).map(place);
    // In file order, as an editor lists them; zod reports them in schema order.
    errors.sort((a, b) => (a.place.line ?? 0) - (b.place.line ?? 0) || Number(a.place.column ?? 0) - Number(b.place.column ?? 0));
    return { ok: false, errors };
  }
  return { ok: true, config: { value: parsed.data, doc, lineCounter, place } };
}

/** `mappings/acme/orders.yaml:12:5 items.quantity: unknown transform "nubmer" (did you mean "number"?)` */
export function formatConfigError(error: IntakeErrorValue): string {
  const { file, line, column, field } = error.place;
  const where = [file, line, column].filter((p) => p !== undefined).join(':');
  return `${where}${field ? ` ${field}` : ''}: ${error.message}`;
}

/**
 * A value starting with `{{` outside quotes: YAML reads `{{Load}}` as a map inside a map (or fails on
 * `{{Load}}-X`), never as the template it was meant to be. Found before parsing, to say so instead.
 */
function findUnquotedTemplate(text: string): { line: number; column: number; value: string } | undefined {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    let quote: string | undefined;
    for (let j = 0; j < line.length; j++) {
      const c = line[j]!;
      if (quote) {
        if (c === quote) quote = undefined;
        continue;
      }
      if (c === '#' && (j === 0 || /\s/.test(line[j - 1]!))) break;
      if (c === '"' || c === "'") {
        if (/^(?:.*[:\-,\[{])?\s*$/.test(line.slice(0, j))) quote = c;
        continue;
      }
      // At the start of a value: after "key: ", "- ", "[" or "," (in a flow collection).
      if (line.startsWith('{{', j) && /(?::\s+|(?:^|\s)-\s+|[[,{]\s*)$/.test(line.slice(0, j))) {
        const rest = line.slice(j).replace(/\s+#.*$/, '').trim();
        // Up to the end of the value: a comma, ] or } of a flow collection outside the placeholders.
        let end = 0;
        while (end < rest.length && !/[,\]}]/.test(rest[end]!)) end = rest.startsWith('{{', end) ? rest.indexOf('}}', end) + 2 || rest.length : end + 1;
        const value = rest.slice(0, end).trim();
        return { line: i + 1, column: j + 1, value };
      }
    }
  }
  return undefined;
}

/** `{ field: N1[ST].N102 }`: inside a flow map, [ starts a list. */
function bracketHint(line: string): string {
  return /\{[^}]*\w\[\w*\]/.test(line) ? ' (inside { ... }, quote a field name with brackets: { field: "N1[ST].N102" })' : '';
}

function duplicateKeyHint(line: string): string {
  const key = /^\s*(?:-\s+)?([^:#]+?)\s*:/.exec(line)?.[1];
  return key ? ` ("${key}" is given twice in the same block; keep one)` : '';
}
