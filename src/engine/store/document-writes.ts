import { itemKey } from '../../documents/document.ts';
import type { Queryable } from '../../store/db.ts';
import { ITEM_DEFAULTS, ORDER_DEFAULTS } from '../entity-values.ts';
import type { DocumentPlan } from '../plan-document.ts';

/** The ids the writes assigned or kept; `createdItemIds` follows `plan.items.create`. */
export interface WrittenIds {
  shipmentId: number;
  orderId: string;
  createdItemIds: string[];
}

interface Column {
  field: string;
  column: string;
  type: string;
}

/** Columns are the fields in snake_case, typed after the field's empty default, so the field lists live in one place. */
function columnsOf(defaults: object): Column[] {
  return Object.entries(defaults).map(([field, value]) => ({
    field,
    column: field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`),
    type: Array.isArray(value) ? 'jsonb' : typeof value === 'number' ? 'numeric' : typeof value === 'boolean' ? 'boolean' : 'text',
  }));
}

const ITEM_COLUMNS = columnsOf(ITEM_DEFAULTS);
const ORDER_COLUMNS = columnsOf(ORDER_DEFAULTS);
const recordOf = (columns: Column[]) => columns.map((c) => `"${c.field}" ${c.type}`).join(', ');
const names = (columns: Column[]) => columns.map((c) => c.column).join(', ');
const values = (columns: Column[]) => columns.map((c) => `x."${c.field}"`).join(', ');
const assignments = (columns: Column[]) => columns.map((c) => `${c.column} = x."${c.field}"`).join(', ');

// Every write of a document in one statement (one round trip): data-modifying CTEs, each fed a JSON parameter.
// An existing shipment or order is only rewritten when its values change.
const WRITE_PLAN = `
WITH
s_in AS (
  SELECT * FROM jsonb_to_record($1::jsonb) AS x(id bigint, "facilityId" bigint, "shipmentNumber" text, "scheduledAt" timestamptz,
    "expectedArrivalAt" timestamptz, "trailerNumber" text, carrier text, "dockId" text, "additionalFields" jsonb, changed boolean)
),
s_new AS (
  INSERT INTO engine.shipments (facility_id, shipment_number, scheduled_at, expected_arrival_at, trailer_number, carrier, dock_id, additional_fields)
  SELECT x."facilityId", x."shipmentNumber", x."scheduledAt", x."expectedArrivalAt", x."trailerNumber", x.carrier, nullif(x."dockId", '')::bigint, x."additionalFields"
  FROM s_in x WHERE x.id IS NULL
  RETURNING id
),
s_upd AS (
  UPDATE engine.shipments s SET expected_arrival_at = x."expectedArrivalAt", trailer_number = x."trailerNumber", carrier = x.carrier,
    dock_id = nullif(x."dockId", '')::bigint, additional_fields = x."additionalFields"
  FROM s_in x WHERE s.id = x.id AND x.changed
),
s_id AS (SELECT id FROM s_new UNION ALL SELECT id FROM s_in WHERE id IS NOT NULL),
o_in AS (
  SELECT * FROM jsonb_to_record($2::jsonb) AS x(id bigint, "businessId" bigint, "facilityId" bigint, direction text, "orderNumber" text,
    ${recordOf(ORDER_COLUMNS)}, changed boolean)
),
o_new AS (
  INSERT INTO engine.orders (business_id, facility_id, direction, order_number, shipment_id, ${names(ORDER_COLUMNS)})
  SELECT x."businessId", x."facilityId", x.direction, x."orderNumber", (SELECT id FROM s_id), ${values(ORDER_COLUMNS)}
  FROM o_in x WHERE x.id IS NULL
  RETURNING id
),
o_upd AS (
  UPDATE engine.orders o SET shipment_id = (SELECT id FROM s_id), ${assignments(ORDER_COLUMNS)}
  FROM o_in x WHERE o.id = x.id AND x.changed
),
o_id AS (SELECT id FROM o_new UNION ALL SELECT id FROM o_in WHERE id IS NOT NULL),
i_del AS (
  DELETE FROM engine.order_items WHERE id IN (SELECT jsonb_array_elements_text($3::jsonb)::bigint)
),
i_upd AS (
  UPDATE engine.order_items i SET ${assignments(ITEM_COLUMNS)}
  FROM jsonb_to_recordset($4::jsonb) AS x(id bigint, ${recordOf(ITEM_COLUMNS)})
  WHERE i.id = x.id
),
i_new AS (
  INSERT INTO engine.order_items (order_id, ${names(ITEM_COLUMNS)})
  SELECT (SELECT id FROM o_id), ${values(ITEM_COLUMNS)}
  FROM jsonb_to_recordset($5::jsonb) AS x(${recordOf(ITEM_COLUMNS)})
  RETURNING id, lpn, sku
)
SELECT (SELECT id FROM s_id) AS "shipmentId", (SELECT id::text FROM o_id) AS "orderId",
  (SELECT coalesce(json_agg(json_build_array(id::text, lpn, sku)), '[]'::json) FROM i_new) AS "createdItems"`;

/** Writes a plan in one statement, inside the caller's transaction. */
export async function writeDocumentPlan(tx: Queryable, plan: DocumentPlan): Promise<WrittenIds> {
  const { shipment, order, items } = plan;
  const { rows } = await tx.query<{ shipmentId: number; orderId: string; createdItems: [string, string, string][] }>(WRITE_PLAN, [
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
  ]);
  const row = rows[0]!;
  // Keys are unique within a document (validateDocument), so lpn + sku maps each new row to the item it came from.
  const idByKey = new Map(row.createdItems.map(([id, lpn, sku]) => [itemKey({ lpn, sku }), id]));
  return { shipmentId: row.shipmentId, orderId: row.orderId, createdItemIds: items.create.map((item) => idByKey.get(itemKey(item))!) };
}
