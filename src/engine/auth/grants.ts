import { z } from 'zod';
import type { Queryable } from '../../store/db.ts';
import { businessNotFound, EngineProblem, facilityNotFound } from '../problem.ts';

/** What a client may touch: a business by slug, and either all its facilities (no facility) or one. */
export const GrantSchema = z.object({
  business: z.string().min(1),
  facility: z.string().min(1).optional(),
});
export type Grant = z.infer<typeof GrantSchema>;

/**
 * Throws unless the grants cover the business and facility. The guide's table answers "business or facility not
 * found" with 404 and "token lacks permission for the requested business or facility" with 403, so a name that
 * exists nowhere is 404 for every client, and 403 is for one that exists but is not granted. Slugs compare
 * exactly: a looser match here than in the store could only ever grant too much. The store is read only when the
 * grants refuse, so a granted document costs no extra round trip.
 */
export async function assertGranted(db: Queryable, grants: readonly Grant[], business: string, facility: string): Promise<void> {
  if (isGranted(grants, business, facility)) return;
  const known = await knownSlugs(db, business, facility);
  if (!known.business) throw businessNotFound(business);
  if (!grants.some((grant) => grant.business === business)) {
    throw new EngineProblem(403, 'FORBIDDEN_BUSINESS', `The token does not grant access to business "${business}".`);
  }
  if (!known.facility) throw facilityNotFound(business, facility);
  throw new EngineProblem(403, 'FORBIDDEN_FACILITY', `The token does not grant access to facility "${facility}" of business "${business}".`);
}

export function isGranted(grants: readonly Grant[], business: string, facility: string): boolean {
  return grants.some((grant) => grant.business === business && (grant.facility === undefined || grant.facility === facility));
}

async function knownSlugs(db: Queryable, business: string, facility: string): Promise<{ business: boolean; facility: boolean }> {
  const { rows } = await db.query<{ facility_id: string | null }>(
    `SELECT f.id AS facility_id FROM engine.businesses b LEFT JOIN engine.facilities f ON f.business_id = b.id AND f.slug = $2 WHERE b.slug = $1`,
    [business, facility],
  );
  return { business: rows.length > 0, facility: rows[0]?.facility_id != null };
}
