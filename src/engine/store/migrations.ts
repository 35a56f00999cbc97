import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { migrate, type Db, type Migration } from '../../store/db.ts';

const folder = fileURLToPath(new URL('./migrations/', import.meta.url));

/** The engine's migrations: `migrations/NNN-name.sql`, applied in name order into the `engine` schema. */
export function engineMigrations(): Migration[] {
  return readdirSync(folder)
    .filter((name) => name.endsWith('.sql'))
    .sort()
    .map((name) => ({ id: name.replace(/\.sql$/, ''), sql: readFileSync(folder + name, 'utf8') }));
}

export async function migrateEngine(db: Db): Promise<void> {
  await migrate(db, 'engine', engineMigrations());
}
