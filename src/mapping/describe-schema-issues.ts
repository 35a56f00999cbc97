import type { z } from 'zod';
import { didYouMean } from './suggest-name.ts';
import type { ConfigPath } from './locate-yaml-path.ts';

/** A problem in a config file, before it is given a line and column. */
export interface ConfigProblemAt {
  code: string;
  message: string;
  path: ConfigPath;
  /** Point at the key (unknown keys) rather than the value. */
  key?: boolean;
  /** Point inside a scalar (a transform name inside "Qty | nubmer"). */
  offset?: number;
}

type Issue = z.core.$ZodIssue;

/**
 * Lets the caller explain an issue better than the generic rules can (the mapping compiler explains transform
 * steps itself). Returns the problems, or undefined to fall through.
 */
export type IssueOverride = (issue: Issue, path: ConfigPath, value: unknown) => ConfigProblemAt[] | undefined;

/**
 * zod issues as messages a person editing YAML can act on: unknown keys with a suggestion, the branch of a union
 * that fits the value's shape rather than "invalid input", missing keys named as such.
 */
export function describeSchemaIssues(
  issues: readonly Issue[],
  root: z.ZodType,
  data: unknown,
  code: string,
  override?: IssueOverride,
  prefix: ConfigPath = [],
): ConfigProblemAt[] {
  const out: ConfigProblemAt[] = [];
  const seen = new Set<string>();
  for (const issue of issues) {
    for (const problem of describeIssue(issue, root, data, code, override, prefix)) {
      const id = `${problem.path.join('\u0000')}|${problem.message}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(problem);
    }
  }
  return out;
}

function describeIssue(
  issue: Issue,
  root: z.ZodType,
  data: unknown,
  code: string,
  override: IssueOverride | undefined,
  prefix: ConfigPath,
): ConfigProblemAt[] {
  const path = [...prefix, ...(issue.path as (string | number)[])];
  const value = valueAt(data, path);
  const custom = override?.(issue, path, value);
  if (custom) return custom;
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({
        code,
        message: `unknown key ${JSON.stringify(key)}${didYouMean(key, keysAt(root, path))}`,
        path: [...path, key],
        key: true,
      }));
    case 'invalid_union': {
      const branches = issue.errors.filter((branch) => !shapeMismatch(branch));
      if (branches.length === 0) {
        const expected = [...new Set(issue.errors.flat().filter((i) => i.path.length === 0).map(expectation))].join(' or ');
        return [{ code, message: `expected ${expected}, got ${shapeOf(value)}`, path }];
      }
      const best = branches.reduce((a, b) => (b.length < a.length ? b : a));
      return best.flatMap((i) => describeIssue(i, root, data, code, override, path));
    }
    case 'invalid_type':
      if (value === undefined) return [{ code, message: 'is required', path }];
      return [{ code, message: `expected ${expectation(issue)}, got ${shapeOf(value)}`, path }];
    case 'invalid_value': {
      const allowed = issue.values.map((v) => JSON.stringify(v));
      const hint = typeof value === 'string' ? didYouMean(value, issue.values.map(String)) : '';
      return [{ code, message: `expected one of ${allowed.join(', ')}, got ${JSON.stringify(value)}${hint}`, path }];
    }
    case 'too_small':
    case 'too_big': {
      const bound = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
      const numeric = issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint';
      const unit = numeric ? '' : issue.origin === 'string' ? (bound === 1 ? ' character' : ' characters') : bound === 1 ? ' entry' : ' entries';
      const got = `, got ${shapeOf(value)}`;
      if (issue.exact) return [{ code, message: `must be exactly ${bound}${unit}${got}`, path }];
      if (issue.code === 'too_small' && !numeric && bound === 1) return [{ code, message: `must not be empty${got}`, path }];
      const relation = issue.code === 'too_small' ? (issue.inclusive ? 'at least' : 'more than') : issue.inclusive ? 'at most' : 'less than';
      return [{ code, message: `must be ${relation} ${bound}${unit}${got}`, path }];
    }
    default:
      return [{ code, message: issue.message, path }];
  }
}

/**
 * A union branch whose very type does not fit the value (a string branch for a map), also when that branch is
 * itself a union (`format: string | string[]` next to the options object): the value was not meant for it.
 */
function shapeMismatch(branch: readonly Issue[]): boolean {
  return branch.some(
    (i) =>
      i.path.length === 0 &&
      (i.code === 'invalid_type' || i.code === 'invalid_value' || (i.code === 'invalid_union' && i.errors.every(shapeMismatch))),
  );
}

function expectation(issue: Issue): string {
  if (issue.code === 'invalid_type') {
    return issue.expected === 'object' ? 'a mapping (key: value)' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`;
  }
  if (issue.code === 'invalid_value') return issue.values.map((v) => JSON.stringify(v)).join(' or ');
  return issue.message;
}

function shapeOf(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping (key: value)';
  return JSON.stringify(value);
}

export function valueAt(data: unknown, path: ConfigPath): unknown {
  let v = data;
  for (const segment of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[segment];
  }
  return v;
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  getter?: () => z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  options?: z.ZodType[];
  valueType?: z.ZodType;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

function unwrap(schema: z.ZodType): z.ZodType[] {
  const def = defOf(schema);
  if (def.innerType) return unwrap(def.innerType);
  if (def.type === 'pipe' && def.in) return unwrap(def.in);
  if (def.type === 'lazy' && def.getter) return unwrap(def.getter());
  if (def.type === 'union' && def.options) return def.options.flatMap(unwrap);
  return [schema];
}

/** The keys an object at `path` may have, for "did you mean": walks the schema along the path. */
export function keysAt(root: z.ZodType, path: ConfigPath): string[] {
  let frontier = unwrap(root);
  for (const segment of path) {
    const next: z.ZodType[] = [];
    for (const schema of frontier) {
      const def = defOf(schema);
      if (def.type === 'object' && typeof segment === 'string' && def.shape?.[segment]) next.push(...unwrap(def.shape[segment]));
      else if (def.type === 'array' && typeof segment === 'number' && def.element) next.push(...unwrap(def.element));
      else if (def.type === 'record' && def.valueType) next.push(...unwrap(def.valueType));
    }
    frontier = next;
  }
  return [...new Set(frontier.flatMap((s) => (defOf(s).type === 'object' ? Object.keys(defOf(s).shape ?? {}) : [])))];
}
