import { migrate, readMigrationFolder, type Db, type Migration } from '../../store/db.ts';

/** The engine's migrations: `migrations/NNN-name.sql`, applied in name order into the `engine` schema. */
export function engineMigrations(): Migration[] {
  return readMigrationFolder(new URL('./migrations/', import.meta.url));
}

export async function migrateEngine(db: Db): Promise<void> {
  await migrate(db, 'engine', engineMigrations());
}
