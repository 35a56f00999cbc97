import { effectiveShipmentNumber, type Document } from '../../documents/document.ts';
import type { Queryable } from '../../store/db.ts';
import type { DocumentTarget } from '../plan-document.ts';

/**
 * Locks the document's shipment and order keys, then reads its business, facility, dock, target shipment (with
 * its orders and items) and matched order: one round trip (`engine.load_document_target`, migration 011).
 * Keys use slugs, not ids, because the locks must be held before anything is read.
 */
export async function loadDocumentTarget(tx: Queryable, doc: Document): Promise<DocumentTarget> {
  const shipmentNumber = effectiveShipmentNumber(doc);
  const { rows } = await tx.query<{ target: DocumentTarget }>('SELECT engine.load_document_target($1, $2, $3, $4, $5, $6, $7, $8) AS target', [
    ['shipment', doc.business, doc.facility, shipmentNumber].join('\u001f'),
    ['order', doc.business, doc.facility, doc.direction, doc.orderNumber].join('\u001f'),
    doc.business,
    doc.facility,
    doc.dockSlug ?? '',
    shipmentNumber,
    doc.direction,
    doc.orderNumber,
  ]);
  return rows[0]!.target;
}
