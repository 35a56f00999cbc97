import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export type ConfigPath = readonly (string | number)[];

/** Where a path of a parsed YAML file is: 1-based line and column, for messages like `orders.yaml:12:5`. */
export interface YamlPosition {
  line: number;
  column: number;
}

/**
 * The position of the node at `path`; for a missing key, its nearest existing parent; with `key: true`, the key
 * itself rather than its value (for "unknown key" errors). `offset` moves into a scalar (a transform inside
 * "Qty | nubmer"), counting the opening quote.
 */
export function locateYamlPath(
  doc: Document,
  lineCounter: LineCounter,
  path: ConfigPath,
  options: { key?: boolean; offset?: number } = {},
): YamlPosition {
  let node: Node | null | undefined = doc.contents;
  let found: Node | null | undefined = node;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === segment);
      if (!pair) break;
      if (options.key && i === path.length - 1 && pair.key && (pair.key as Node).range) {
        found = pair.key as Node;
        break;
      }
      node = pair.value as Node | null;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment] as Node | undefined;
    } else break;
    if (!node) break;
    found = node;
  }
  const start = found?.range?.[0] ?? 0;
  let offset = 0;
  if (options.offset !== undefined && isScalar(found)) {
    const quoted = found.type === 'QUOTE_DOUBLE' || found.type === 'QUOTE_SINGLE';
    offset = options.offset + (quoted ? 1 : 0);
  }
  const pos = lineCounter.linePos(start + offset);
  return { line: pos.line, column: pos.col };
}

/** `items.quantity.transforms[1]`: a path as a person reads it. */
export function describeConfigPath(path: ConfigPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

/** A line of YAML read as `key: value` from its text alone, for a file too broken to parse. */
export interface KeyLine {
  key: string;
  /** Spaces before the key, counting a list's "- " as indentation. */
  indent: number;
  value: string;
  valueColumn: number;
}

export function readKeyLine(line: string): KeyLine | undefined {
  const m = /^(\s*(?:-\s+)*)([^\s#:{}[\],"'][^:#]*?)(\s*:(?:\s+|$))(.*?)\s*$/.exec(line);
  if (!m) return undefined;
  return { key: m[2]!, indent: m[1]!.length, value: m[4]!.replace(/(?:^|\s+)#.*$/, ''), valueColumn: m[1]!.length + m[2]!.length + m[3]!.length + 1 };
}

/** The keys a line indented by `indent` is under, from indentation alone: ["items"] for "  sku: x" below "items:". */
export function keyPathAbove(lines: readonly string[], index: number, indent: number): string[] {
  const path: string[] = [];
  for (let j = index - 1; j >= 0 && indent > 0; j--) {
    const above = readKeyLine(lines[j]!);
    if (above && above.indent < indent) {
      path.unshift(above.key);
      indent = above.indent;
    }
  }
  return path;
}
