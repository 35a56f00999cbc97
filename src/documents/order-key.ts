/**
 * The identity of the order a document touches (guide: an order is found by business, facility, direction and
 * order number). Documents with the same key are applied one after another.
 */
export function orderKeyOf(doc: { business?: unknown; facility?: unknown; direction?: unknown; orderNumber?: unknown }): string {
  return JSON.stringify([doc.business ?? '', doc.facility ?? '', doc.direction ?? '', doc.orderNumber ?? '']);
}
