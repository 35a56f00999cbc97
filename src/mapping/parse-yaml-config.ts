import { LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import type { z } from 'zod';
import type { IntakeErrorValue } from '../errors/intake-error.ts';
import { describeSchemaIssues, type ConfigProblemAt, type IssueOverride } from './describe-schema-issues.ts';
import { describeConfigPath, keyPathAbove, locateYamlPath, readKeyLine, type KeyLine } from './locate-yaml-path.ts';

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
    const lines = text.split(/\r?\n/);
    const yamlMessage = e.message.split('\n')[0]!;
    const slip = explainSyntaxError(e.code, yamlMessage, lines, pos.line - 1, pos.col - 1);
    if (slip) {
      const place = { file, line: slip.index + 1, column: slip.column + 1, ...(slip.path.length ? { field: describeConfigPath(slip.path) } : {}) };
      return { ok: false, errors: [{ code: 'MAPPING_YAML_SYNTAX', message: `${slip.message} (yaml: ${yamlMessage})`, place }] };
    }
    const line = lines[pos.line - 1] ?? '';
    const hint = e.code === 'DUPLICATE_KEY' ? duplicateKeyHint(line) : bracketHint(line);
    return { ok: false, errors: [{ code: 'MAPPING_YAML_SYNTAX', message: `${yamlMessage}${hint}`, place: { file, line: pos.line, column: pos.col } }] };
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

/** A syntax slip in words, at the 0-based line and column to change (yaml often points at the line before). */
interface SyntaxSlip {
  message: string;
  index: number;
  column: number;
  path: string[];
}

/**
 * The common slips of hand-written YAML (indentation, a colon or its space left out, an unclosed bracket or quote,
 * a tab) told from the yaml error code and the source text; undefined for the rest, which keep yaml's message.
 */
function explainSyntaxError(code: YAMLError['code'], yamlMessage: string, lines: string[], index: number, column: number): SyntaxSlip | undefined {
  const line = lines[index] ?? '';
  const here = readKeyLine(line);
  const pathOf = (i: number, indent: number, key?: string) => [...keyPathAbove(lines, i, indent), ...(key ? [key] : [])];
  switch (code) {
    case 'TAB_AS_INDENT': {
      const indent = /^\s*/.exec(line)![0];
      const at = indent.indexOf('\t');
      return { message: 'the line is indented with a tab: YAML indents with spaces only', index, column: at < 0 ? column : at, path: pathOf(index, indent.length, here?.key) };
    }
    case 'MISSING_CHAR': {
      const quote = /closing (["'])/.exec(yamlMessage)?.[1];
      const open = quote ? unclosed(lines, index, quote) : undefined;
      if (!open) return undefined;
      const key = readKeyLine(lines[open.index]!);
      return { message: `the ${quote} is not closed: end the value with ${quote} on the same line`, ...open, path: pathOf(open.index, key?.indent ?? 0, key?.key) };
    }
    case 'BAD_INDENT': {
      const flow = /^Flow (map|sequence)/.exec(yamlMessage)?.[1];
      if (flow) {
        const [opener, closer] = flow === 'map' ? ['{', '}'] : ['[', ']'];
        const open = unclosed(lines, index, opener!);
        if (!open) return undefined;
        const key = readKeyLine(lines[open.index]!);
        return { message: `the ${opener} is not closed: end it with ${closer} on the same line`, ...open, path: pathOf(open.index, key?.indent ?? 0, key?.key) };
      }
      // Yaml names the line out of step; its siblings are the keys above it deeper than its parent.
      if (!here) return undefined;
      let sibling: { key: KeyLine; index: number } | undefined;
      for (let j = index - 1; j >= 0; j--) {
        const above = readKeyLine(lines[j]!);
        if (!above) continue;
        if (above.indent < here.indent) break;
        if (above.indent > here.indent && (!sibling || above.indent <= sibling.key.indent)) sibling = { key: above, index: j };
      }
      if (!sibling) return undefined;
      return {
        message: `${misaligned(here, sibling.key, sibling.index)}: keys of one block must start at the same column`,
        index,
        column: here.indent,
        path: pathOf(index, sibling.key.indent, here.key),
      };
    }
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY': {
      const start = /^\s*(?:-\s+)*/.exec(line)![0].length;
      if (column === start) {
        // Yaml read the whole line as the start of a key: it has no ": " after its first word.
        const glued = /^([^\s:#]+):(\S.*)$/.exec(line.slice(start));
        if (glued) {
          return { message: `a space is missing after the colon: write "${glued[1]}: ${glued[2]}"`, index, column: start + glued[1]!.length + 1, path: pathOf(index, start, glued[1]) };
        }
        const [, key, rest] = /^(\S+)\s*(.*)$/.exec(line.slice(start)) ?? [];
        if (!key) return undefined;
        return { message: `the colon after "${key}" is missing: write "${key}:${rest ? ` ${rest}` : ''}"`, index, column: start + key.length, path: pathOf(index, start, key) };
      }
      if (!here) return undefined;
      if (/:(\s|$)/.test(here.value)) {
        return {
          message: `the value holds ": ", which YAML reads as a key: quote the value: ${here.key}: ${JSON.stringify(here.value)}`,
          index,
          column: here.valueColumn - 1,
          path: pathOf(index, here.indent, here.key),
        };
      }
      // The value ran on into the next line: that line is indented deeper than this key, yet this key has a value.
      const next = nextContentLine(lines, index, 1);
      const below = next === undefined ? undefined : readKeyLine(lines[next]!);
      if (next === undefined || !below || below.indent <= here.indent) return undefined;
      const prev = nextContentLine(lines, index, -1);
      const parent = prev === undefined ? undefined : readKeyLine(lines[prev]!);
      if (parent && prev !== undefined && parent.indent === here.indent && parent.value === '') {
        return {
          message: `"${here.key}" is indented by ${spaces(here.indent)}, level with "${parent.key}" above it (line ${prev + 1}), so it is not inside "${parent.key}": indent it by ${spaces(below.indent)} like "${below.key}" below it`,
          index,
          column: here.indent,
          path: pathOf(index, below.indent, here.key),
        };
      }
      return {
        message: `${misaligned(below, here, index)}: keys of one block must start at the same column`,
        index: next,
        column: below.indent,
        path: pathOf(next, here.indent, below.key),
      };
    }
    default:
      return undefined;
  }
}

function misaligned(key: KeyLine, sibling: KeyLine, siblingIndex: number): string {
  return `"${key.key}" is indented by ${spaces(key.indent)} but "${sibling.key}" above it (line ${siblingIndex + 1}) by ${sibling.indent}`;
}

function spaces(n: number): string {
  return n === 1 ? '1 space' : `${n} spaces`;
}

/** The nearest line in `step` direction that holds more than blanks and a comment. */
function nextContentLine(lines: string[], index: number, step: 1 | -1): number | undefined {
  for (let j = index + step; j >= 0 && j < lines.length; j += step) if (!/^\s*(?:#.*)?$/.test(lines[j]!)) return j;
  return undefined;
}

/**
 * The last bracket or quote `opener` left open at the end of its line, searching up from `index`: yaml reports an
 * unclosed one where it gave up (the next line, the end of the file), the customer must look where it opened.
 */
function unclosed(lines: string[], index: number, opener: string): { index: number; column: number } | undefined {
  const isQuote = opener === '"' || opener === "'";
  // A quote runs to the end of the file, so the first one left open is the culprit; a bracket stops at the next key.
  const order = [...Array(Math.min(index, lines.length - 1) + 1).keys()];
  for (const j of isQuote ? order : order.reverse()) {
    const at = openAtEnd(lines[j]!).find((o) => o.char === opener);
    if (at) return { index: j, column: at.column };
  }
  return undefined;
}

/** The brackets and quotes still open at the end of a line, outermost first, skipping a comment. */
function openAtEnd(line: string): { char: string; column: number }[] {
  const stack: { char: string; column: number }[] = [];
  for (let j = 0; j < line.length; j++) {
    const c = line[j]!;
    const top = stack[stack.length - 1];
    if (top && (top.char === '"' || top.char === "'")) {
      if (c === top.char) stack.pop();
      continue;
    }
    if (c === '#' && (j === 0 || /\s/.test(line[j - 1]!))) break;
    // A quote opens a value only at its start (after ": ", "- ", a bracket or comma), not inside a plain scalar.
    if ((c === '"' || c === "'") && /(?:^|[:\-,[{])\s*$/.test(line.slice(0, j))) stack.push({ char: c, column: j });
    else if (c === '{' || c === '[') stack.push({ char: c, column: j });
    else if ((c === '}' && top?.char === '{') || (c === ']' && top?.char === '[')) stack.pop();
  }
  return stack;
}

/** `{ field: N1[ST].N102 }`: inside a flow map, [ starts a list. */
function bracketHint(line: string): string {
  return /\{[^}]*\w\[\w*\]/.test(line) ? ' (inside { ... }, quote a field name with brackets: { field: "N1[ST].N102" })' : '';
}

function duplicateKeyHint(line: string): string {
  const key = /^\s*(?:-\s+)?([^:#]+?)\s*:/.exec(line)?.[1];
  return key ? ` ("${key}" is given twice in the same block; keep one)` : '';
}
