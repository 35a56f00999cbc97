import type { Document } from '../documents/document.ts';
import type { DocumentTarget } from './plan-document.ts';
import type { StoredShipment } from './shipment-view.ts';
import { orderKey, shipmentKey } from './store/document-target.ts';

/**
 * What this process last wrote for shipments and orders, so a document can be planned before anything is read
 * and applied in one round trip (`applyDocument`). Only a hint: the store writes a plan only when the shipments'
 * versions and the ids it finds under the document's locks are the expected ones (migration 015), so a stale or
 * wrong entry costs a round trip, never a wrong write. Several engine processes may share a store, each with its
 * own hints.
 *
 * Bounded by weight (a shipment counts 1, plus 1 per order and per item, so one shipment of a thousand items
 * weighs what it holds): the least recently used shipments are forgotten first.
 */
export class ExpectedTargets {
  /** Business, facility and dock ids by slugs: they do not change, and a document names them all. */
  private readonly tenancy = new Map<string, Pick<DocumentTarget, 'businessId' | 'facilityId' | 'dockId'>>();
  private readonly shipments = new Map<string, { shipment: StoredShipment; weight: number }>();
  private readonly orders = new Map<string, { id: string; shipmentId: number }>();
  private weight = 0;

  /** `capacity`: the total weight kept (orders are kept up to that many, tenancies up to that many). */
  constructor(private readonly capacity: number) {}

  /**
   * The target the document is expected to meet: the shipment and order as this process left them, or none of
   * either when it has not seen them (a new order, the common case). Null when it cannot be told: the business,
   * facility or dock was never met, or the order was last seen on another shipment (its view is not here).
   */
  expect(doc: Document): DocumentTarget | null {
    const tenancy = this.tenancy.get(tenancyKey(doc));
    if (!tenancy) return null;
    const shipment = this.touch(shipmentKey(doc))?.shipment ?? null;
    const order = this.orders.get(orderKey(doc));
    if (order && (order.shipmentId !== shipment?.id || !shipment.orders.some((other) => other.id === order.id))) return null;
    return {
      ...tenancy,
      shipment,
      blockedShipment: null,
      order: order && shipment ? { id: order.id, shipmentId: shipment.id, shipmentVersion: shipment.version, view: null } : null,
    };
  }

  /** After a document was applied against `target`: the shipment it left, with the document's order on it. */
  remember(doc: Document, target: DocumentTarget, shipment: StoredShipment, orderId: string): void {
    this.tenancy.set(tenancyKey(doc), { businessId: target.businessId, facilityId: target.facilityId, dockId: target.dockId });
    if (this.tenancy.size > this.capacity) this.tenancy.clear();
    this.forget(doc);
    const weight = 1 + shipment.orders.reduce((sum, order) => sum + 1 + order.items.length, 0);
    this.shipments.set(shipmentKey(doc), { shipment, weight });
    this.weight += weight;
    this.orders.set(orderKey(doc), { id: orderId, shipmentId: shipment.id });
    for (const [key, entry] of this.shipments) {
      if (this.weight <= this.capacity) break;
      this.shipments.delete(key);
      this.weight -= entry.weight;
    }
    for (const key of this.orders.keys()) {
      if (this.orders.size <= this.capacity) break;
      this.orders.delete(key);
    }
  }

  /** After a document failed: what was expected of it may be why. */
  forget(doc: Document): void {
    const key = shipmentKey(doc);
    this.weight -= this.shipments.get(key)?.weight ?? 0;
    this.shipments.delete(key);
    this.orders.delete(orderKey(doc));
  }

  private touch(key: string): { shipment: StoredShipment; weight: number } | undefined {
    const entry = this.shipments.get(key);
    if (entry !== undefined) {
      this.shipments.delete(key);
      this.shipments.set(key, entry);
    }
    return entry;
  }
}

function tenancyKey(doc: Document): string {
  return [doc.business, doc.facility, doc.dockSlug ?? ''].join('\u001f');
}
