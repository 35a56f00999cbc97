import { z } from 'zod';
import { EngineProblem } from '../problem.ts';

/** What a client may touch: a business by slug, and either all its facilities (no facility) or one. */
export const GrantSchema = z.object({
  business: z.string().min(1),
  facility: z.string().min(1).optional(),
});
export type Grant = z.infer<typeof GrantSchema>;

/**
 * Throws 403 unless the grants cover the business and facility. Checked on the slugs the request names, before
 * any lookup, so an ungranted client gets 403 whether or not the business exists (a 404 would tell it that).
 * Slugs compare exactly: a looser match here than in the store could only ever grant too much.
 */
export function assertGranted(grants: readonly Grant[], business: string, facility: string): void {
  if (!grants.some((grant) => grant.business === business)) {
    throw new EngineProblem(403, 'FORBIDDEN_BUSINESS', `The token does not grant access to business "${business}".`);
  }
  if (!isGranted(grants, business, facility)) {
    throw new EngineProblem(403, 'FORBIDDEN_FACILITY', `The token does not grant access to facility "${facility}" of business "${business}".`);
  }
}

export function isGranted(grants: readonly Grant[], business: string, facility: string): boolean {
  return grants.some((grant) => grant.business === business && (grant.facility === undefined || grant.facility === facility));
}
