import { ORDER_FIELDS, effectiveShipmentNumber, effectiveStrategy, type Direction, type Document } from '../documents/document.ts';
import type { ItemView, OrderView } from '../documents/response.ts';
import { ORDER_DEFAULTS, itemValues, withoutBlankValues, withoutEmptyValues, type ItemValues, type OrderFieldValues } from './entity-values.ts';
import { businessNotFound, EngineProblem, facilityNotFound } from './problem.ts';
import type { StoredShipment } from './shipment-view.ts';
import { planItemChanges, type StoredItem } from './strategies/index.ts';

/**
 * What the store holds for a document, read under the document's locks (`engine.document_target_json`, migration
 * 015), or what this engine expects it holds (ExpectedTargets).
 */
export interface DocumentTarget {
  businessId: number | null;
  facilityId: number | null;
  /** The dock `dockSlug` names at the facility, when the document names one and it exists. */
  dockId: string | null;
  /** The eligible shipment (not arrived, not linked) with the document's shipment number. */
  shipment: StoredShipment | null;
  /** The latest non-eligible shipment with that number, when there is no eligible one. */
  blockedShipment: { arrived: boolean } | null;
  /** The most recently created eligible order; its view is loaded only when it is not on `shipment`. */
  order: { id: string; shipmentId: number; shipmentVersion: string; view: OrderView | null } | null;
}

/**
 * What a target is made of for `engine.apply_document` (migration 015): the ids and the versions of the shipments
 * it holds. The store writes a plan only when it finds the same fingerprint under the document's locks. Every
 * key is present (null for "none"): the store compares the whole object.
 */
export function targetFingerprint(target: DocumentTarget): Record<string, string | number | null> {
  return {
    businessId: target.businessId,
    facilityId: target.facilityId,
    dockId: target.dockId,
    shipmentId: target.shipment?.id ?? null,
    shipmentVersion: target.shipment?.version ?? null,
    orderId: target.order?.id ?? null,
    orderShipmentId: target.order?.shipmentId ?? null,
    orderShipmentVersion: target.order?.shipmentVersion ?? null,
  };
}

export type ShipmentValues = Pick<
  StoredShipment,
  'shipmentNumber' | 'scheduledAt' | 'expectedArrivalAt' | 'trailerNumber' | 'carrier' | 'dockId' | 'dockSlug' | 'additionalFields'
>;

/** Everything a document will change, decided before anything is written. */
export interface DocumentPlan {
  businessId: number;
  facilityId: number;
  business: string;
  facility: string;
  /** `changed` is false when an existing row would be rewritten with the values it has. */
  shipment: { existing: StoredShipment | null; values: ShipmentValues; changed: boolean };
  order: { existing: OrderView | null; direction: Direction; orderNumber: string; values: OrderFieldValues; changed: boolean };
  /** `update` holds the items' complete new values; every list is in request order (OVERWRITE's removals in item order). */
  items: { create: ItemValues[]; update: ItemView[]; remove: StoredItem[] };
}

export function planDocument(doc: Document, target: DocumentTarget, now: Date): DocumentPlan {
  if (target.businessId === null) throw businessNotFound(doc.business);
  if (target.facilityId === null) throw facilityNotFound(doc.business, doc.facility);
  const shipmentNumber = effectiveShipmentNumber(doc);
  if (!target.shipment && target.blockedShipment) {
    const why = target.blockedShipment.arrived ? 'has already arrived' : 'is linked to another shipment';
    throw new EngineProblem(409, 'SHIPMENT_CONFLICT', `shipment ${shipmentNumber} ${why}; send a new shipment number`);
  }
  if (doc.dockSlug && target.dockId === null) {
    throw new EngineProblem(422, 'UNKNOWN_DOCK', `Dock "${doc.dockSlug}" does not exist at facility "${doc.facility}".`);
  }
  const order = planOrder(doc, target);
  return {
    businessId: target.businessId,
    facilityId: target.facilityId,
    business: doc.business,
    facility: doc.facility,
    shipment: planShipment(doc, target, shipmentNumber, now),
    order,
    items: planItems(doc, order.existing?.items ?? []),
  };
}

/**
 * Guide, section 14, "Default shipment timing": a document without expectedArrivalAt sets the shipment's
 * expected arrival to the time the request is processed, on an existing shipment too (the rule names every
 * request; only the scheduled time is for new shipments alone). A blank one counts as omitted.
 */
function planShipment(doc: Document, target: DocumentTarget, shipmentNumber: string, now: Date): DocumentPlan['shipment'] {
  const existing = target.shipment;
  const nowText = now.toISOString();
  const current: ShipmentValues = existing
    ? shipmentValuesOf(existing)
    : { shipmentNumber, scheduledAt: nowText, expectedArrivalAt: nowText, trailerNumber: '', carrier: '', dockId: '', dockSlug: '', additionalFields: {} };
  const values: ShipmentValues = {
    ...current,
    ...withoutBlankValues({
      trailerNumber: doc.trailerNumber,
      carrier: doc.carrier,
      expectedArrivalAt: doc.expectedArrivalAt ? new Date(doc.expectedArrivalAt).toISOString() : nowText,
    }),
    ...(doc.dockSlug && target.dockId ? { dockId: target.dockId, dockSlug: doc.dockSlug } : {}),
    // Driver fields live in the shipment's additional fields (guide, section 11); named fields win over the map.
    additionalFields: {
      ...current.additionalFields,
      ...withoutBlankValues(doc.additionalFields ?? {}),
      ...withoutBlankValues({ driverName: doc.driverName, driverLicenseNumber: doc.driverLicenseNumber, driverLicensePlate: doc.driverLicensePlate }),
    },
  };
  return { existing, values, changed: existing !== null && JSON.stringify(values) !== JSON.stringify(current) };
}

function shipmentValuesOf(shipment: StoredShipment): ShipmentValues {
  const { shipmentNumber, scheduledAt, expectedArrivalAt, trailerNumber, carrier, dockId, dockSlug, additionalFields } = shipment;
  return { shipmentNumber, scheduledAt, expectedArrivalAt, trailerNumber, carrier, dockId, dockSlug, additionalFields };
}

/**
 * The matched order is remapped onto the target shipment when it sits on another (eligible) one (guide, section
 * 6); its fields are updated on any request, never cleared by "" or expectedQuantity 0 (guide, section 11).
 */
function planOrder(doc: Document, target: DocumentTarget): DocumentPlan['order'] {
  const existing = target.order ? (target.order.view ?? orderOnShipment(target.shipment, target.order.id)) : null;
  const current: OrderFieldValues = { ...ORDER_DEFAULTS, ...(existing ? orderFieldsOf(existing) : {}) };
  const values: OrderFieldValues = { ...current, ...withoutEmptyValues(orderFieldsOf(doc)) };
  const remapped = target.order !== null && target.order.shipmentId !== target.shipment?.id;
  const changed = existing !== null && (remapped || JSON.stringify(values) !== JSON.stringify(current));
  return { existing, direction: doc.direction, orderNumber: doc.orderNumber, values, changed };
}

function orderOnShipment(shipment: StoredShipment | null, orderId: string): OrderView {
  const order = shipment?.orders.find((candidate) => candidate.id === orderId);
  if (!order) throw new Error(`order ${orderId} is not on the shipment it was loaded with`);
  return order;
}

function orderFieldsOf(source: Partial<OrderFieldValues>): Partial<OrderFieldValues> {
  return Object.fromEntries(ORDER_FIELDS.map((field) => [field, source[field]])) as Partial<OrderFieldValues>;
}

/** Items omitted or empty leave the order's items unchanged (guide, section 14, "Empty items"). */
function planItems(doc: Document, existing: readonly StoredItem[]): DocumentPlan['items'] {
  const strategy = effectiveStrategy(doc);
  if (!strategy) return { create: [], update: [], remove: [] };
  const changes = planItemChanges(strategy, existing, doc.items ?? []);
  const byId = new Map(existing.map((item) => [item.id, item]));
  return {
    create: changes.create.map(itemValues),
    update: changes.update.map(({ id, patch }) => ({ ...byId.get(id)!, ...patch })),
    remove: changes.remove,
  };
}
