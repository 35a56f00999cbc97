import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A tar of a new, empty PGlite cluster (stores.ts loads it instead of running initdb for every store). */
    emptyPgliteDump: string;
  }
}

/** Once per test run, before any test file. */
export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'intake-test-pglite-'));
  const pglite = await PGlite.create();
  const dump = await pglite.dumpDataDir('none');
  await pglite.close();
  const path = join(dir, 'empty-cluster.tar');
  writeFileSync(path, Buffer.from(await dump.arrayBuffer()));
  project.provide('emptyPgliteDump', path);
  return () => rmSync(dir, { recursive: true, force: true });
}
