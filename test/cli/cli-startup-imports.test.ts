import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * `intake --help`, `intake files …` and `intake mapping …` start in about a second: the engine, the gateway, the
 * channels and the xlsx reader are loaded (dynamic `import()`) only by the commands that run them. Loaded
 * eagerly they cost about 2.5 s per call on a 2-core machine. This walks the static imports from the command's
 * entry point and keeps the heavy packages out of them.
 */
const HEAVY = ['exceljs', 'bullmq', '@electric-sql/pglite', 'pg', 'ssh2', 'ssh2-sftp-client', 'imapflow', 'mailparser', 'nodemailer', 'fastify'];

/** Static, value imports only: `import type` is erased and `import()` runs when called. */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)[^'"]*?from\s+['"]([^'"]+)['"]/gm), ...text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
}

/** Every package reached from `entry` by static imports, with the chain of files that reaches it. */
function packagesReached(entry: string): Map<string, string[]> {
  const reached = new Map<string, string[]>();
  const seen = new Set<string>();
  const walk = (file: string, chain: string[]) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of staticImports(file)) {
      if (spec.startsWith('.')) walk(resolve(dirname(file), spec), [...chain, relative(process.cwd(), file)]);
      else if (!reached.has(spec)) reached.set(spec, [...chain, relative(process.cwd(), file)]);
    }
  };
  walk(resolve('src/cli/main.ts'), []);
  return reached;
}

describe('the intake command starts without loading the product', () => {
  it('reaches none of the heavy packages through static imports from src/cli/main.ts', () => {
    const reached = packagesReached('src/cli/main.ts');
    const heavy = HEAVY.filter((name) => reached.has(name)).map((name) => `${name} via ${reached.get(name)!.join(' → ')}`);
    expect(heavy).toEqual([]);
    // The walk itself works: the command-line library is reached.
    expect(reached.has('commander')).toBe(true);
  });
});
