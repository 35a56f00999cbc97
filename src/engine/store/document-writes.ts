import { itemKey } from '../../documents/document.ts';
import { prepared, type Queryable } from '../../store/db.ts';
import type { DocumentPlan } from '../plan-document.ts';

/** The ids the writes assigned or kept; `createdItemIds` follows `plan.items.create`. */
export interface WrittenIds {
  shipmentId: number;
  orderId: string;
  createdItemIds: string[];
}

const WRITE_DOCUMENT_PLAN = prepared(
  'engine_write_document_plan',
  'SELECT engine.write_document_plan($1::jsonb, $2::jsonb, $3::jsonb, $4::jsonb, $5::jsonb) AS written',
);

/** Writes a plan in one round trip (`engine.write_document_plan`, migration 012), inside the caller's transaction. */
export async function writeDocumentPlan(tx: Queryable, plan: DocumentPlan): Promise<WrittenIds> {
  const { shipment, order, items } = plan;
  const { rows } = await tx.query<{ written: { shipmentId: number; orderId: string; createdItems: [string, string, string][] } }>(
    WRITE_DOCUMENT_PLAN,
    [
      JSON.stringify({ id: shipment.existing?.id ?? null, facilityId: plan.facilityId, ...shipment.values, changed: shipment.changed }),
      JSON.stringify({
        id: order.existing?.id ?? null,
        businessId: plan.businessId,
        facilityId: plan.facilityId,
        direction: order.direction,
        orderNumber: order.orderNumber,
        ...order.values,
        changed: order.changed,
      }),
      JSON.stringify(items.remove.map((item) => item.id)),
      JSON.stringify(items.update),
      JSON.stringify(items.create),
    ],
  );
  const { shipmentId, orderId, createdItems } = rows[0]!.written;
  // Keys are unique within a document (validateDocument), so lpn + sku maps each new row to the item it came from.
  const idByKey = new Map(createdItems.map(([id, lpn, sku]) => [itemKey({ lpn, sku }), id]));
  return { shipmentId, orderId, createdItemIds: items.create.map((item) => idByKey.get(itemKey(item))!) };
}
