import { effectiveShipmentNumber, type Document } from '../../documents/document.ts';

/**
 * The document's key and target parameters, in the order `engine.apply_document` takes them (migration 015):
 * the shipment and order lock keys first. Keys use slugs, not ids, because the locks must be held before anything
 * is read.
 */
export function documentTargetParams(doc: Document): unknown[] {
  return [shipmentKey(doc), orderKey(doc), doc.business, doc.facility, doc.dockSlug ?? '', effectiveShipmentNumber(doc), doc.direction, doc.orderNumber];
}

/** The shipment's lock key: business, facility, shipment number. */
export function shipmentKey(doc: Document): string {
  return ['shipment', doc.business, doc.facility, effectiveShipmentNumber(doc)].join('\u001f');
}

/** The order's lock key: business, facility, direction, order number. */
export function orderKey(doc: Document): string {
  return ['order', doc.business, doc.facility, doc.direction, doc.orderNumber].join('\u001f');
}
