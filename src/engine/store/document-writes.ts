import { itemKey, type Document } from '../../documents/document.ts';
import { prepared, type Queryable } from '../../store/db.ts';
import { ITEM_DEFAULTS, type ItemValues } from '../entity-values.ts';
import { targetFingerprint, type DocumentPlan, type DocumentTarget } from '../plan-document.ts';
import { documentTargetParams } from './document-target.ts';

/** The ids the writes assigned or kept, and the shipment's new version; `createdItemIds` follows `plan.items.create`. */
export interface WrittenIds {
  shipmentId: number;
  orderId: string;
  createdItemIds: string[];
  version: string;
}

/** Either the plan was written, or the store holds something else for the document: this target. */
export type ApplyCall = { written: WrittenIds } | { target: DocumentTarget };

/** A target and the plan made against it: what a document is sent with when the engine expects its target. */
export interface Expectation {
  target: DocumentTarget;
  plan: DocumentPlan;
}

const APPLY_DOCUMENT = prepared(
  'engine_apply_document',
  'SELECT engine.apply_document($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, $11::jsonb, $12::jsonb, $13::jsonb, $14::jsonb) AS applied',
);

/** What `engine.apply_document` returns (json). */
export type AppliedJson =
  | { written: { shipmentId: number; orderId: string; createdItems: [string, string, string][]; version: string } }
  | { target: DocumentTarget };

/**
 * One round trip (`engine.apply_document`, migration 015): takes the document's locks and writes the plan when the
 * store holds the target it was made against; otherwise writes nothing and returns the target the store holds.
 * `expected` null only reads. The locks last as long as the caller's transaction, or this statement alone when
 * there is none.
 */
export async function applyDocumentPlan(q: Queryable, doc: Document, expected: Expectation | null): Promise<ApplyCall> {
  const { rows } = await q.query<{ applied: AppliedJson }>(APPLY_DOCUMENT, applyDocumentParams(doc, expected));
  return applyCallOf(rows[0]!.applied, expected);
}

/** The parameters of `engine.apply_document`, in order (also the tail of the idempotent call's, migration 015). */
export function applyDocumentParams(doc: Document, expected: Expectation | null): unknown[] {
  return [
    ...documentTargetParams(doc),
    expected ? JSON.stringify(targetFingerprint(expected.target)) : null,
    ...(expected ? planParams(expected.plan) : [null, null, null, null, null]),
  ];
}

/** `engine.apply_document`'s answer, with the new items' ids in the plan's order. */
export function applyCallOf(applied: AppliedJson, expected: Expectation | null): ApplyCall {
  if ('target' in applied) return applied;
  const { shipmentId, orderId, createdItems, version } = applied.written;
  // Keys are unique within a document (validateDocument), so lpn + sku maps each new row to the item it came from.
  const idByKey = new Map(createdItems.map(([id, lpn, sku]) => [itemKey({ lpn, sku }), id]));
  const created = expected?.plan.items.create ?? [];
  return { written: { shipmentId, orderId, version, createdItemIds: created.map((item) => idByKey.get(itemKey(item))!) } };
}

/**
 * The plan as `engine.apply_document` takes it (migration 015): a shipment or order only when it is created or
 * changes, each list of items only when it has any, items without their empty defaults.
 */
function planParams(plan: DocumentPlan): (string | null)[] {
  const { shipment, order, items } = plan;
  const listOrNull = (list: readonly unknown[]) => (list.length > 0 ? JSON.stringify(list) : null);
  return [
    shipment.existing && !shipment.changed ? null : JSON.stringify(shipment.values),
    order.existing && !order.changed ? null : JSON.stringify(order.values),
    listOrNull(items.remove.map((item) => item.id)),
    listOrNull(items.update.map(withoutDefaults)),
    listOrNull(items.create.map(withoutDefaults)),
  ];
}

/** An item without the fields that hold their empty default: the store fills them in (migration 015). */
function withoutDefaults<T extends Partial<ItemValues>>(item: T): Partial<T> {
  const sent: Partial<T> = {};
  for (const key in item) {
    const value = item[key];
    if (value !== ITEM_DEFAULTS[key as keyof ItemValues] && !(Array.isArray(value) && value.length === 0)) sent[key] = value;
  }
  return sent;
}
