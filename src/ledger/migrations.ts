import { migrate, readMigrationFolder, type Db } from '../store/db.ts';

/** The ledger lives in the `gateway` schema of the same store as the engine: one PGlite instance per process. */
export async function migrateLedger(db: Db): Promise<void> {
  await migrate(db, 'gateway', readMigrationFolder(new URL('./migrations/', import.meta.url)));
}
