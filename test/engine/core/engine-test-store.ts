import { migrateEngine } from '../../../src/engine/store/migrations.ts';
import { createTestDb, type StoreKind, type TestDatabase } from '../../support/stores.ts';

/**
 * A migrated engine store with the guide's tenancy: business "kargo" with facilities "sf" (docks "door-1",
 * "door-2") and "la", and a second business "acme" with facility "sf".
 */
export async function createEngineTestDb(kind: StoreKind): Promise<TestDatabase> {
  const t = await createTestDb(kind);
  await migrateEngine(t.db);
  await t.db.exec(`
    INSERT INTO engine.businesses (slug) VALUES ('kargo'), ('acme');
    INSERT INTO engine.facilities (business_id, slug) SELECT id, 'sf' FROM engine.businesses;
    INSERT INTO engine.facilities (business_id, slug) SELECT id, 'la' FROM engine.businesses WHERE slug = 'kargo';
    INSERT INTO engine.docks (facility_id, slug)
      SELECT f.id, d FROM engine.facilities f JOIN engine.businesses b ON b.id = f.business_id, unnest(ARRAY['door-1', 'door-2']) d
      WHERE b.slug = 'kargo' AND f.slug = 'sf';
  `);
  return t;
}

/** Deletes every shipment, order and item, keeping the tenancy, so tests in one file start from the same store. */
export async function clearDocuments(t: TestDatabase): Promise<void> {
  await t.db.exec('DELETE FROM engine.order_items; DELETE FROM engine.orders; DELETE FROM engine.shipments;');
}
