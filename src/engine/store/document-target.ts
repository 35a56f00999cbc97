import { effectiveShipmentNumber, type Document } from '../../documents/document.ts';
import { prepared, type Queryable } from '../../store/db.ts';
import type { DocumentTarget } from '../plan-document.ts';

const LOAD_DOCUMENT_TARGET = prepared('engine_load_document_target', 'SELECT engine.load_document_target($1, $2, $3, $4, $5, $6, $7, $8) AS target');

/**
 * Locks the document's shipment and order keys, then reads its business, facility, dock, target shipment (with
 * its orders and items) and matched order: one round trip (`engine.load_document_target`, migrations 011 and 014).
 * Keys use slugs, not ids, because the locks must be held before anything is read.
 */
export async function loadDocumentTarget(tx: Queryable, doc: Document): Promise<DocumentTarget> {
  const { rows } = await tx.query<{ target: DocumentTarget }>(LOAD_DOCUMENT_TARGET, loadDocumentTargetParams(doc));
  return rows[0]!.target;
}

/** The parameters of `engine.load_document_target`, in order (also the tail of the idempotent lookup's). */
export function loadDocumentTargetParams(doc: Document): unknown[] {
  const shipmentNumber = effectiveShipmentNumber(doc);
  return [
    ['shipment', doc.business, doc.facility, shipmentNumber].join('\u001f'),
    ['order', doc.business, doc.facility, doc.direction, doc.orderNumber].join('\u001f'),
    doc.business,
    doc.facility,
    doc.dockSlug ?? '',
    shipmentNumber,
    doc.direction,
    doc.orderNumber,
  ];
}
