import type { OrderView, ShipmentView } from '../documents/response.ts';

/**
 * A shipment as the store returns it (`engine.shipment_json`): the view's fields, plus whose it is and the raw
 * event times, from which the status and the status events are derived here and nowhere else.
 */
export interface StoredShipment {
  id: number;
  /** Changes with every write to the shipment, its orders or their items (migration 015); never shown. */
  version: string;
  shipmentNumber: string;
  business: string;
  facility: string;
  scheduledAt: string;
  expectedArrivalAt: string;
  arrivedAt: string | null;
  departedAt: string | null;
  trailerNumber: string;
  carrier: string;
  dockId: string;
  dockSlug: string;
  additionalFields: Record<string, unknown>;
  orders: OrderView[];
}

type ShipmentStatus = ShipmentView['status'];

function shipmentStatus(shipment: Pick<StoredShipment, 'arrivedAt' | 'departedAt'>): ShipmentStatus {
  if (shipment.departedAt) return 'DEPARTED';
  if (shipment.arrivedAt) return 'ARRIVED';
  return 'SCHEDULED';
}

/**
 * The response's shipment. SCHEDULED is completed at the scheduled time; ARRIVED and DEPARTED stay incomplete
 * with completedAt "" until they happen (guide, section 14, "Status event times").
 */
export function shipmentView(shipment: StoredShipment): ShipmentView {
  return {
    id: shipment.id,
    shipmentNumber: shipment.shipmentNumber,
    status: shipmentStatus(shipment),
    expectedArrivalAt: shipment.expectedArrivalAt,
    scheduledAt: shipment.scheduledAt,
    trailerNumber: shipment.trailerNumber,
    carrier: shipment.carrier,
    dockSlug: shipment.dockSlug,
    dockId: shipment.dockId,
    additionalFields: shipment.additionalFields,
    statusEvents: [
      { status: 'SCHEDULED', completed: true, completedAt: shipment.scheduledAt },
      { status: 'ARRIVED', completed: shipment.arrivedAt !== null, completedAt: shipment.arrivedAt ?? '' },
      { status: 'DEPARTED', completed: shipment.departedAt !== null, completedAt: shipment.departedAt ?? '' },
    ],
    orders: shipment.orders,
  };
}
