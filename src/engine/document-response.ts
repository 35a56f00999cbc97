import { itemReference } from '../documents/document.ts';
import type { DocumentResponse, EntityRef, ItemView, OrderView } from '../documents/response.ts';
import type { DocumentPlan } from './plan-document.ts';
import { shipmentView, type StoredShipment } from './shipment-view.ts';
import type { WrittenIds } from './store/document-writes.ts';

/**
 * The response to an applied document, built from the plan, the ids the writes assigned and the shipment they
 * left (`shipmentAfter`), so the shipment is not read back. Entries are listed as in the guide: SHIPMENT, ORDER, then items in request order; a shipment or
 * order that existed is "updated" on every request, even when only its items changed (guide, sections 6-10).
 */
export function documentResponse(plan: DocumentPlan, ids: WrittenIds, shipment: StoredShipment): DocumentResponse {
  const created: EntityRef[] = [];
  const updated: EntityRef[] = [];
  (plan.shipment.existing ? updated : created).push({ type: 'SHIPMENT', id: String(ids.shipmentId), reference: plan.shipment.values.shipmentNumber });
  (plan.order.existing ? updated : created).push({ type: 'ORDER', id: ids.orderId, reference: plan.order.orderNumber });
  plan.items.create.forEach((values, index) => created.push({ type: 'ORDER_ITEM', id: ids.createdItemIds[index]!, reference: itemReference(values) }));
  updated.push(...plan.items.update.map(itemRef));
  const removed = plan.items.remove.map(itemRef);
  return { created, updated, removed, shipment: shipmentView(shipment) };
}

/** The shipment as the plan's writes leave it: what the store would now read back. */
export function shipmentAfter(plan: DocumentPlan, ids: WrittenIds): StoredShipment {
  const createdItems: ItemView[] = plan.items.create.map((values, index) => ({ id: ids.createdItemIds[index]!, ...values }));
  const order = orderAfter(plan, ids.orderId, createdItems);
  const orders = [...(plan.shipment.existing?.orders ?? []).filter((other) => other.id !== order.id), order];
  orders.sort((a, b) => Number(a.id) - Number(b.id));
  return {
    ...(plan.shipment.existing ?? { id: 0, business: plan.business, facility: plan.facility, arrivedAt: null, departedAt: null }),
    ...plan.shipment.values,
    id: ids.shipmentId,
    version: ids.version,
    orders,
  };
}

/** Items keep their creation order: the kept and updated ones where they were, new ones after them. */
function orderAfter(plan: DocumentPlan, orderId: string, createdItems: ItemView[]): OrderView {
  const removedIds = new Set(plan.items.remove.map((item) => item.id));
  const updatedById = new Map(plan.items.update.map((item) => [item.id, item]));
  const kept = (plan.order.existing?.items ?? []).filter((item) => !removedIds.has(item.id)).map((item) => updatedById.get(item.id) ?? item);
  return {
    id: orderId,
    orderNumber: plan.order.orderNumber,
    status: plan.order.existing?.status ?? 'CREATED',
    direction: plan.order.direction,
    business: plan.business,
    facility: plan.facility,
    ...plan.order.values,
    items: [...kept, ...createdItems],
  };
}

function itemRef(item: ItemView): EntityRef {
  return { type: 'ORDER_ITEM', id: item.id, reference: itemReference(item) };
}
