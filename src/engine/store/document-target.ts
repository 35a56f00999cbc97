import { effectiveShipmentNumber, type Document } from '../../documents/document.ts';
import type { Queryable } from '../../store/db.ts';
import type { DocumentTarget } from '../plan-document.ts';

/**
 * Serialises the documents that touch one shipment or one order, across every process sharing the database, so
 * that many documents for the same new order create exactly one shipment and one order and none fails. The
 * shipment key is always taken before the order key, so two documents never wait on each other in a cycle.
 * Keys use slugs, not ids: the lock must be held before anything is read.
 */
export async function lockDocumentKeys(tx: Queryable, doc: Document): Promise<void> {
  const shipmentKey = ['shipment', doc.business, doc.facility, effectiveShipmentNumber(doc)].join('\u001f');
  const orderKey = ['order', doc.business, doc.facility, doc.direction, doc.orderNumber].join('\u001f');
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0)), pg_advisory_xact_lock(hashtextextended($2, 0))', [shipmentKey, orderKey]);
}

// One round trip for everything a document's decisions need. Eligible = not arrived and not linked to another
// shipment (guide, section 6); among duplicate order numbers the most recently created eligible order wins.
const LOAD_TARGET = `
WITH tenant AS (
  SELECT b.id AS business_id, f.id AS facility_id
  FROM engine.businesses b LEFT JOIN engine.facilities f ON f.business_id = b.id AND f.slug = $2
  WHERE b.slug = $1
),
numbered AS (
  SELECT s.id, s.arrived_at IS NULL AND s.linked_to_shipment_id IS NULL AS eligible, s.arrived_at IS NOT NULL AS arrived
  FROM engine.shipments s
  WHERE s.facility_id = (SELECT facility_id FROM tenant) AND s.shipment_number = $4
),
target AS (SELECT id FROM numbered WHERE eligible),
matched AS (
  SELECT o.id, o.shipment_id
  FROM engine.orders o JOIN engine.shipments os ON os.id = o.shipment_id
  WHERE o.business_id = (SELECT business_id FROM tenant) AND o.facility_id = (SELECT facility_id FROM tenant)
    AND o.direction = $5 AND o.order_number = $6
    AND os.arrived_at IS NULL AND os.linked_to_shipment_id IS NULL
  ORDER BY o.created_at DESC, o.id DESC
  LIMIT 1
)
SELECT
  (SELECT business_id FROM tenant) AS "businessId",
  (SELECT facility_id FROM tenant) AS "facilityId",
  (SELECT d.id::text FROM engine.docks d WHERE d.facility_id = (SELECT facility_id FROM tenant) AND d.slug = $3) AS "dockId",
  (SELECT engine.shipment_json(id) FROM target) AS shipment,
  (SELECT json_build_object('arrived', arrived) FROM numbered WHERE NOT eligible ORDER BY id DESC LIMIT 1) AS "blockedShipment",
  (SELECT json_build_object(
     'id', m.id::text, 'shipmentId', m.shipment_id,
     'view', CASE WHEN m.shipment_id IS DISTINCT FROM (SELECT id FROM target) THEN engine.order_json(m.id) END)
   FROM matched m) AS "order"`;

/** Reads the document's business, facility, dock, target shipment (with its orders and items) and matched order. */
export async function loadDocumentTarget(tx: Queryable, doc: Document): Promise<DocumentTarget> {
  const { rows } = await tx.query<DocumentTarget>(LOAD_TARGET, [
    doc.business,
    doc.facility,
    doc.dockSlug ?? '',
    effectiveShipmentNumber(doc),
    doc.direction,
    doc.orderNumber,
  ]);
  return rows[0]!;
}
