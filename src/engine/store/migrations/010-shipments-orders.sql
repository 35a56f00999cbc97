-- Shipments, orders and order items: what POST /documents finds or creates (guide, sections 6-12).

CREATE TABLE engine.shipments (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  facility_id bigint NOT NULL REFERENCES engine.facilities (id),
  shipment_number text NOT NULL,
  scheduled_at timestamptz NOT NULL,
  expected_arrival_at timestamptz NOT NULL,
  -- The status is derived from these two (SCHEDULED, ARRIVED, DEPARTED), so it can never disagree with them.
  arrived_at timestamptz,
  departed_at timestamptz,
  trailer_number text NOT NULL DEFAULT '',
  carrier text NOT NULL DEFAULT '',
  dock_id bigint REFERENCES engine.docks (id),
  additional_fields jsonb NOT NULL DEFAULT '{}',
  -- Set when the shipment is linked to another one; its orders are then no longer eligible (guide, section 6).
  linked_to_shipment_id bigint REFERENCES engine.shipments (id),
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  CHECK (departed_at IS NULL OR arrived_at IS NOT NULL)
);

CREATE INDEX shipments_by_number ON engine.shipments (facility_id, shipment_number);

-- A document targets the one eligible shipment of its number; the advisory lock on the shipment key keeps it
-- single, this index makes a second one impossible even for a writer that forgot the lock.
CREATE UNIQUE INDEX shipments_one_eligible_per_number ON engine.shipments (facility_id, shipment_number)
  WHERE arrived_at IS NULL AND linked_to_shipment_id IS NULL;

CREATE TABLE engine.orders (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  business_id bigint NOT NULL REFERENCES engine.businesses (id),
  facility_id bigint NOT NULL REFERENCES engine.facilities (id),
  direction text NOT NULL CHECK (direction IN ('INBOUND', 'OUTBOUND')),
  order_number text NOT NULL,
  shipment_id bigint NOT NULL REFERENCES engine.shipments (id),
  status text NOT NULL DEFAULT 'CREATED',
  order_type text NOT NULL DEFAULT '',
  purchase_order text NOT NULL DEFAULT '',
  consignee_name text NOT NULL DEFAULT '',
  consignee_phone_number text NOT NULL DEFAULT '',
  bol_number text NOT NULL DEFAULT '',
  expected_quantity numeric NOT NULL DEFAULT 0,
  carrier text NOT NULL DEFAULT '',
  seal_number text NOT NULL DEFAULT '',
  supplier text NOT NULL DEFAULT '',
  client text NOT NULL DEFAULT '',
  destination text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Duplicate order numbers are allowed (guide, section 6): the most recently created eligible one is chosen.
CREATE INDEX orders_by_number ON engine.orders (business_id, facility_id, direction, order_number, created_at DESC, id DESC);
CREATE INDEX orders_by_shipment ON engine.orders (shipment_id, id);

CREATE TABLE engine.order_items (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  order_id bigint NOT NULL REFERENCES engine.orders (id) ON DELETE CASCADE,
  identifier text NOT NULL DEFAULT '',
  lpn text NOT NULL DEFAULT '',
  sku text NOT NULL DEFAULT '',
  quantity numeric NOT NULL DEFAULT 0,
  quantity_unit text NOT NULL DEFAULT '',
  purchase_order text NOT NULL DEFAULT '',
  description text NOT NULL DEFAULT '',
  upc text NOT NULL DEFAULT '',
  weight_per_unit numeric NOT NULL DEFAULT 0,
  weight_unit text NOT NULL DEFAULT '',
  height numeric NOT NULL DEFAULT 0,
  length numeric NOT NULL DEFAULT 0,
  dimension_unit text NOT NULL DEFAULT '',
  is_dangerous_good boolean NOT NULL DEFAULT false,
  lot text NOT NULL DEFAULT '',
  -- Kept as sent (a date or a date-time): the guide gives no format to normalise to.
  expiration_date text NOT NULL DEFAULT '',
  manufacturing_date text NOT NULL DEFAULT '',
  case_serials jsonb NOT NULL DEFAULT '[]'
);

-- Items are listed in creation order (id), so an item keeps its position when MERGE updates it.
CREATE INDEX order_items_by_order ON engine.order_items (order_id, id);

-- Timestamps render like JavaScript's Date.toISOString(), so a value reads back exactly as the engine wrote it.
CREATE FUNCTION engine.iso_utc(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- An order with its items, in the response's OrderView shape (ids as strings, empty values as "" and 0).
-- json, not jsonb: json keeps the keys in the order written here, which is the order the response shows.
-- plpgsql, not sql: a plpgsql function's query plans are cached per session, a sql function's are made again on
-- every call (measured: 0.6 ms per shipment with one 10-item order, most of a document's read).
CREATE FUNCTION engine.order_json(bigint) RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT json_build_object(
    'id', o.id::text, 'orderNumber', o.order_number, 'status', o.status, 'direction', o.direction,
    'business', b.slug, 'facility', f.slug, 'orderType', o.order_type, 'purchaseOrder', o.purchase_order,
    'consigneeName', o.consignee_name, 'consigneePhoneNumber', o.consignee_phone_number, 'bolNumber', o.bol_number,
    'expectedQuantity', o.expected_quantity, 'carrier', o.carrier, 'sealNumber', o.seal_number,
    'supplier', o.supplier, 'client', o.client, 'destination', o.destination,
    'items', coalesce((
      SELECT json_agg(json_build_object(
        'id', i.id::text, 'identifier', i.identifier, 'lpn', i.lpn, 'sku', i.sku, 'quantity', i.quantity,
        'quantityUnit', i.quantity_unit, 'purchaseOrder', i.purchase_order, 'description', i.description, 'upc', i.upc,
        'weightPerUnit', i.weight_per_unit, 'weightUnit', i.weight_unit, 'height', i.height, 'length', i.length,
        'dimensionUnit', i.dimension_unit, 'isDangerousGood', i.is_dangerous_good, 'lot', i.lot,
        'expirationDate', i.expiration_date, 'manufacturingDate', i.manufacturing_date, 'caseSerials', i.case_serials
      ) ORDER BY i.id)
      FROM engine.order_items i WHERE i.order_id = o.id), '[]'::json))
  FROM engine.orders o
  JOIN engine.businesses b ON b.id = o.business_id
  JOIN engine.facilities f ON f.id = o.facility_id
  WHERE o.id = $1);
END
$$;

-- A shipment as stored (StoredShipment in TypeScript): the ShipmentView's fields, with the raw event times
-- instead of status and statusEvents, which TypeScript derives (one rule, one place).
CREATE FUNCTION engine.shipment_json(bigint) RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT json_build_object(
    'id', s.id, 'shipmentNumber', s.shipment_number, 'business', b.slug, 'facility', f.slug,
    'scheduledAt', engine.iso_utc(s.scheduled_at), 'expectedArrivalAt', engine.iso_utc(s.expected_arrival_at),
    'arrivedAt', engine.iso_utc(s.arrived_at), 'departedAt', engine.iso_utc(s.departed_at),
    'trailerNumber', s.trailer_number, 'carrier', s.carrier,
    'dockId', coalesce(s.dock_id::text, ''), 'dockSlug', coalesce(d.slug, ''),
    'additionalFields', s.additional_fields,
    'orders', coalesce((SELECT json_agg(engine.order_json(o.id) ORDER BY o.id) FROM engine.orders o WHERE o.shipment_id = s.id), '[]'::json))
  FROM engine.shipments s
  JOIN engine.facilities f ON f.id = s.facility_id
  JOIN engine.businesses b ON b.id = f.business_id
  LEFT JOIN engine.docks d ON d.id = s.dock_id
  WHERE s.id = $1);
END
$$;
