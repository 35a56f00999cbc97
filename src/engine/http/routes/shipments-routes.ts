import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Db } from '../../../store/db.ts';
import type { TokenSettings } from '../../auth/access-token.ts';
import { isGranted } from '../../auth/grants.ts';
import { EngineProblem } from '../../problem.ts';
import { getShipment, recordShipmentEvent } from '../../shipments.ts';
import { bearerAuthHook } from '../bearer-auth.ts';
import { addBodyParsers, JSON_TYPES } from '../body-parsers.ts';
import { requestClient } from '../request-context.ts';

export const ShipmentEventRequestSchema = z.strictObject({ type: z.enum(['ARRIVED', 'DEPARTED']) });

export interface ShipmentsRoutesOptions {
  db: Db;
  tokens: TokenSettings;
  now: () => Date;
}

function shipmentIdOf(params: unknown): number {
  const raw = (params as { id?: string }).id ?? '';
  const id = /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id)) throw new EngineProblem(400, 'INVALID_SHIPMENT_ID', 'A shipment id is a positive integer.');
  return id;
}

export async function shipmentsRoutes(app: FastifyInstance, options: ShipmentsRoutesOptions): Promise<void> {
  const { db, now } = options;
  addBodyParsers(app, ['json']);
  app.addHook('onRequest', bearerAuthHook(options.tokens));

  /**
   * The shipment, if it exists and the token covers its business and facility. Another tenant's shipment is as
   * missing as one that does not exist: a 403 would tell any client which ids exist and whose they are.
   */
  const grantedShipment = async (params: unknown, grants: ReturnType<typeof requestClient>['grants']) => {
    const id = shipmentIdOf(params);
    const found = await getShipment(db, id);
    if (!found || !isGranted(grants, found.business, found.facility)) {
      throw new EngineProblem(404, 'SHIPMENT_NOT_FOUND', `Shipment ${id} does not exist or is not one this token may see.`);
    }
    return { id, ...found };
  };

  app.get('/v1/shipments/:id', async (request) => {
    const shipment = await grantedShipment(request.params, requestClient(request).grants);
    return shipment.view;
  });

  app.post('/v1/shipments/:id/events', { bodyLimit: 16 * 1024, config: { accepts: [...JSON_TYPES] } }, async (request) => {
    const shipment = await grantedShipment(request.params, requestClient(request).grants);
    const event = ShipmentEventRequestSchema.safeParse(request.body);
    if (!event.success) {
      throw new EngineProblem(422, 'INVALID_EVENT', 'The body must be {"type": "ARRIVED"} or {"type": "DEPARTED"}.', event.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })));
    }
    return recordShipmentEvent(db, shipment.id, event.data.type, { now: now() });
  });
}
