import type { ShipmentView } from '../documents/response.ts';
import type { Db, Queryable } from '../store/db.ts';
import type { ApplyOptions } from './apply-document.ts';
import { EngineProblem } from './problem.ts';
import { shipmentView, type StoredShipment } from './shipment-view.ts';

export type ShipmentEvent = 'ARRIVED' | 'DEPARTED';

export async function getShipment(db: Queryable, id: number): Promise<{ business: string; facility: string; view: ShipmentView } | null> {
  const stored = await loadShipment(db, id);
  return stored ? { business: stored.business, facility: stored.facility, view: shipmentView(stored) } : null;
}

/**
 * Completes the ARRIVED or DEPARTED status event. An arrived shipment is no longer eligible (guide, section 6):
 * documents naming its number get 409 SHIPMENT_CONFLICT and its orders are not matched any more.
 */
export async function recordShipmentEvent(db: Db, id: number, status: ShipmentEvent, options: ApplyOptions = {}): Promise<ShipmentView> {
  const at = (options.now ?? new Date()).toISOString();
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ arrivedAt: string | null; departedAt: string | null }>(
      'SELECT engine.iso_utc(arrived_at) AS "arrivedAt", engine.iso_utc(departed_at) AS "departedAt" FROM engine.shipments WHERE id = $1 FOR UPDATE',
      [id],
    );
    const current = rows[0];
    if (!current) throw new EngineProblem(404, 'SHIPMENT_NOT_FOUND', `Shipment ${id} was not found.`);
    const problem = eventProblem(current, status);
    if (problem) throw problem;
    await tx.query(`UPDATE engine.shipments SET ${status === 'ARRIVED' ? 'arrived_at' : 'departed_at'} = $2, version = gen_random_uuid() WHERE id = $1`, [id, at]);
    return shipmentView((await loadShipment(tx, id))!);
  });
}

/** Events complete once each, in order: SCHEDULED, ARRIVED, DEPARTED. */
function eventProblem(current: Pick<StoredShipment, 'arrivedAt' | 'departedAt'>, status: ShipmentEvent): EngineProblem | null {
  const done = status === 'ARRIVED' ? current.arrivedAt : current.departedAt;
  if (done) return new EngineProblem(409, 'EVENT_ALREADY_COMPLETED', `${status} was already completed at ${done}.`);
  if (status === 'DEPARTED' && !current.arrivedAt) return new EngineProblem(409, 'EVENT_OUT_OF_ORDER', 'A shipment departs only after it has arrived.');
  return null;
}

async function loadShipment(db: Queryable, id: number): Promise<StoredShipment | null> {
  const { rows } = await db.query<{ shipment: StoredShipment | null }>('SELECT engine.shipment_json($1) AS shipment', [id]);
  return rows[0]?.shipment ?? null;
}
