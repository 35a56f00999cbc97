import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The domain (document contract, strategies, planning, mapping evaluation, format parsing, result rendering)
 * imports nothing that does I/O: HTTP, Redis, SSH, mail, the database, the file system. I/O lives at the edges
 * (channels, inbox, ledger, pipeline, gateway, engine store) and is passed in. This keeps it so.
 */
const DOMAIN = ['src/documents', 'src/engine/strategies', 'src/engine/plan-document.ts', 'src/mapping', 'src/formats/x12', 'src/formats/csv', 'src/formats/fixed-width', 'src/formats/json', 'src/results'];
/** The mapping's loaders are its edge: they read the customer's folder. */
const EDGE_FILES = new Set(['src/mapping/load-mappings.ts', 'src/mapping/load-customer.ts', 'src/mapping/export-json-schema.ts']);
const IO_PACKAGES = ['node:fs', 'node:fs/promises', 'node:net', 'node:http', 'node:https', 'node:child_process', 'pg', 'ioredis', 'bullmq', 'ssh2', 'ssh2-sftp-client', 'undici', 'fastify', 'imapflow', 'nodemailer', 'mailparser', '@electric-sql/pglite'];
const IO_FOLDERS = ['src/store', 'src/ledger', 'src/inbox', 'src/channels', 'src/pipeline', 'src/gateway', 'src/engine-client', 'src/engine/store', 'src/engine/http', 'src/cli', 'src/runtime'];

function files(path: string): string[] {
  if (statSync(path).isFile()) return [path];
  return readdirSync(path).flatMap((name) => files(join(path, name)));
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  // `import type` is erased at run time: a type from an edge module is no dependency on its I/O.
  return [...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)[^'"]*?from\s+['"]([^'"]+)['"]/gm), ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);
}

describe('the domain does no I/O', () => {
  const domainFiles = DOMAIN.flatMap(files).filter((file) => file.endsWith('.ts') && !EDGE_FILES.has(file));

  it.each(domainFiles)('%s imports no I/O package or edge module', (file) => {
    const offending = imports(file).filter((spec) => {
      if (IO_PACKAGES.includes(spec)) return true;
      if (!spec.startsWith('.')) return false;
      const target = relative(process.cwd(), resolve(dirname(file), spec));
      return IO_FOLDERS.some((folder) => target === folder || target.startsWith(`${folder}/`));
    });
    expect(offending).toEqual([]);
  });
});
