-- One round trip per document when the engine already knows what the store holds for it.
--
-- The engine plans a document in TypeScript against the target it expects (the state its own last write left,
-- or "nothing yet" for a shipment and order it has never seen) and sends the plan with a fingerprint of that
-- expectation. engine.apply_document takes the document's locks, reads only the fingerprint's parts (ids and the
-- shipments' versions), and writes the plan when they match; otherwise it writes nothing and returns the target
-- the store holds (engine.document_target_json), and the engine plans again (src/engine/apply-document.ts).
--
-- A shipment's version changes with every write to the shipment, its orders or their items (here and in
-- recordShipmentEvent), so an equal version means the same content. Versions are random, not counters: a
-- counter restarts with a recreated or restored database, where an old expectation could meet the same number
-- over other content; a random version is never met again.
ALTER TABLE engine.shipments ADD COLUMN version uuid NOT NULL DEFAULT gen_random_uuid();

-- engine.shipment_json (migration 010) with the version, which only the engine's expectations use.
CREATE OR REPLACE FUNCTION engine.shipment_json(bigint) RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT json_build_object(
    'id', s.id, 'version', s.version, 'shipmentNumber', s.shipment_number, 'business', b.slug, 'facility', f.slug,
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

-- What a document's decisions need, as the engine's DocumentTarget (src/engine/plan-document.ts), from what
-- engine.apply_document found under the document's locks: the json part of engine.load_document_target (migrations
-- 011 and 014), which engine.apply_document replaces, with the matched order's shipment version. The matched
-- order's view is only returned when it is not on the target shipment (whose view already holds it).
CREATE FUNCTION engine.document_target_json(
  p_business_id bigint, p_facility_id bigint, p_dock_id text, p_target_id bigint, p_target_number text,
  p_order_id bigint, p_order_shipment_id bigint, p_order_shipment_version uuid
) RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN json_build_object(
    'businessId', p_business_id,
    'facilityId', p_facility_id,
    'dockId', p_dock_id,
    'shipment', engine.shipment_json(p_target_id),
    'blockedShipment', CASE WHEN p_target_id IS NULL THEN (
      SELECT json_build_object('arrived', s.arrived_at IS NOT NULL) FROM engine.shipments s
      WHERE s.facility_id = p_facility_id AND s.shipment_number = p_target_number
      ORDER BY s.id DESC LIMIT 1) END,
    'order', CASE WHEN p_order_id IS NOT NULL THEN json_build_object(
      'id', p_order_id::text, 'shipmentId', p_order_shipment_id, 'shipmentVersion', p_order_shipment_version,
      'view', CASE WHEN p_order_shipment_id IS DISTINCT FROM p_target_id THEN engine.order_json(p_order_id) END) END);
END
$$;

-- The document's locks, the fingerprint of what the store holds for it, and either the plan's writes (when the
-- fingerprint is the expected one) or the target to plan again with; with no expectation (p_expected null), only
-- the target. It replaces engine.load_document_target (migrations 011 and 014): the same locks in the same order,
-- the same lookups (see there for why each is written as it is). An expectation of no eligible shipment holds
-- only when no shipment of that number exists at all: an arrived or linked one makes the document a conflict,
-- which the engine decides from the target.
--
-- The writes are engine.write_document_plan's (migration 012), which this replaces, with three changes:
-- - the shipment and the order are sent only when they are created or change (null: the one found, as it is);
-- - items come without the fields that hold their empty default ("", 0, false, []): most of an item's eighteen
--   fields are empty, and parsing them was a good part of the write;
-- - the target shipment gets a new version whenever anything is written, and so does the shipment an order is
--   moved away from (its orders changed).
-- Every step is one statement only when it has something to do: each statement a plpgsql function runs costs an
-- executor start and end, about as much as a small index lookup.
CREATE FUNCTION engine.apply_document(
  shipment_key text, order_key text, business_slug text, facility_slug text, dock_slug text,
  target_number text, order_direction text, target_order_number text,
  p_expected jsonb, p_shipment jsonb, p_order jsonb, p_removed jsonb, p_updated jsonb, p_created jsonb
) RETURNS json LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_business_id bigint;
  v_facility_id bigint;
  v_dock_id text;
  v_target_id bigint;
  v_target_version uuid;
  v_order_id bigint;
  v_order_shipment_id bigint;
  v_order_shipment_version uuid;
  v_candidate record;
  v_eligible boolean;
  v_version uuid;
  v_wrote boolean := false;
  v_unexpected boolean := false;
  v_created json := '[]';
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(shipment_key, 0)), pg_advisory_xact_lock(hashtextextended(order_key, 0));
  SELECT b.id, f.id INTO v_business_id, v_facility_id
  FROM engine.businesses b LEFT JOIN engine.facilities f ON f.business_id = b.id AND f.slug = facility_slug
  WHERE b.slug = business_slug;
  IF dock_slug <> '' THEN
    SELECT d.id::text INTO v_dock_id FROM engine.docks d WHERE d.facility_id = v_facility_id AND d.slug = dock_slug;
  END IF;
  SELECT s.id, s.version INTO v_target_id, v_target_version FROM engine.shipments s
  WHERE s.facility_id = v_facility_id AND s.shipment_number = target_number
    AND s.arrived_at IS NULL AND s.linked_to_shipment_id IS NULL
  FOR SHARE;
  FOR v_candidate IN
    SELECT o.id, o.shipment_id FROM engine.orders o
    WHERE o.business_id = v_business_id AND o.facility_id = v_facility_id
      AND o.direction = order_direction AND o.order_number = target_order_number
    ORDER BY o.created_at DESC, o.id DESC
  LOOP
    SELECT os.arrived_at IS NULL AND os.linked_to_shipment_id IS NULL, os.version INTO v_eligible, v_version
    FROM engine.shipments os WHERE os.id = v_candidate.shipment_id
    FOR SHARE;
    IF v_eligible THEN
      v_order_id := v_candidate.id;
      v_order_shipment_id := v_candidate.shipment_id;
      v_order_shipment_version := v_version;
      EXIT;
    END IF;
  END LOOP;

  IF p_expected IS NULL OR jsonb_build_object(
      'businessId', v_business_id, 'facilityId', v_facility_id, 'dockId', v_dock_id,
      'shipmentId', v_target_id, 'shipmentVersion', v_target_version,
      'orderId', v_order_id::text, 'orderShipmentId', v_order_shipment_id, 'orderShipmentVersion', v_order_shipment_version
    ) IS DISTINCT FROM p_expected THEN
    v_unexpected := true;
  ELSIF v_target_id IS NULL THEN
    v_unexpected := EXISTS (SELECT 1 FROM engine.shipments s WHERE s.facility_id = v_facility_id AND s.shipment_number = target_number);
  END IF;
  IF v_unexpected THEN
    RETURN json_build_object('target', engine.document_target_json(v_business_id, v_facility_id, v_dock_id, v_target_id,
      target_number, v_order_id, v_order_shipment_id, v_order_shipment_version));
  END IF;

  v_version := gen_random_uuid();
  IF v_target_id IS NULL THEN
    INSERT INTO engine.shipments (facility_id, shipment_number, scheduled_at, expected_arrival_at, trailer_number, carrier, dock_id, additional_fields, version)
    SELECT v_facility_id, target_number, x."scheduledAt", x."expectedArrivalAt", x."trailerNumber", x.carrier,
      nullif(x."dockId", '')::bigint, x."additionalFields", v_version
    FROM jsonb_to_record(p_shipment) AS x("scheduledAt" timestamptz, "expectedArrivalAt" timestamptz, "trailerNumber" text,
      carrier text, "dockId" text, "additionalFields" jsonb)
    RETURNING id INTO v_target_id;
    v_wrote := true;
  ELSIF p_shipment IS NOT NULL THEN
    UPDATE engine.shipments s SET expected_arrival_at = x."expectedArrivalAt", trailer_number = x."trailerNumber", carrier = x.carrier,
      dock_id = nullif(x."dockId", '')::bigint, additional_fields = x."additionalFields", version = v_version
    FROM jsonb_to_record(p_shipment) AS x("expectedArrivalAt" timestamptz, "trailerNumber" text, carrier text, "dockId" text,
      "additionalFields" jsonb)
    WHERE s.id = v_target_id;
    v_wrote := true;
  END IF;

  IF v_order_id IS NULL THEN
    INSERT INTO engine.orders (business_id, facility_id, direction, order_number, shipment_id,
    order_type, purchase_order, consignee_name, consignee_phone_number, bol_number, expected_quantity,
    carrier, seal_number, supplier, client, destination)
    SELECT v_business_id, v_facility_id, order_direction, target_order_number, v_target_id,
    x."orderType", x."purchaseOrder", x."consigneeName", x."consigneePhoneNumber", x."bolNumber",
    x."expectedQuantity", x."carrier", x."sealNumber", x."supplier", x."client", x."destination"
    FROM jsonb_to_record(p_order) AS x("orderType" text, "purchaseOrder" text, "consigneeName" text,
      "consigneePhoneNumber" text, "bolNumber" text, "expectedQuantity" numeric, "carrier" text, "sealNumber" text,
      "supplier" text, "client" text, "destination" text)
    RETURNING id INTO v_order_id;
    v_wrote := true;
  ELSIF p_order IS NOT NULL THEN
    UPDATE engine.orders o SET shipment_id = v_target_id,
      order_type = x."orderType", purchase_order = x."purchaseOrder", consignee_name = x."consigneeName",
      consignee_phone_number = x."consigneePhoneNumber", bol_number = x."bolNumber",
      expected_quantity = x."expectedQuantity", carrier = x."carrier", seal_number = x."sealNumber",
      supplier = x."supplier", client = x."client", destination = x."destination"
    FROM jsonb_to_record(p_order) AS x(
      "orderType" text, "purchaseOrder" text, "consigneeName" text, "consigneePhoneNumber" text,
      "bolNumber" text, "expectedQuantity" numeric, "carrier" text, "sealNumber" text, "supplier" text,
      "client" text, "destination" text)
    WHERE o.id = v_order_id;
    IF v_order_shipment_id <> v_target_id THEN
      UPDATE engine.shipments SET version = gen_random_uuid() WHERE id = v_order_shipment_id;
    END IF;
    v_wrote := true;
  END IF;

  IF p_removed IS NOT NULL THEN
    DELETE FROM engine.order_items WHERE id IN (SELECT jsonb_array_elements_text(p_removed)::bigint);
    v_wrote := true;
  END IF;

  IF p_updated IS NOT NULL THEN
    UPDATE engine.order_items i SET
      identifier = coalesce(x."identifier", ''), lpn = coalesce(x."lpn", ''), sku = coalesce(x."sku", ''),
      quantity = coalesce(x."quantity", 0), quantity_unit = coalesce(x."quantityUnit", ''),
      purchase_order = coalesce(x."purchaseOrder", ''), description = coalesce(x."description", ''),
      upc = coalesce(x."upc", ''), weight_per_unit = coalesce(x."weightPerUnit", 0), weight_unit = coalesce(x."weightUnit", ''),
      height = coalesce(x."height", 0), length = coalesce(x."length", 0), dimension_unit = coalesce(x."dimensionUnit", ''),
      is_dangerous_good = coalesce(x."isDangerousGood", false), lot = coalesce(x."lot", ''),
      expiration_date = coalesce(x."expirationDate", ''), manufacturing_date = coalesce(x."manufacturingDate", ''),
      case_serials = coalesce(x."caseSerials", '[]')
    FROM jsonb_to_recordset(p_updated) AS x(id bigint,
      "identifier" text, "lpn" text, "sku" text, "quantity" numeric, "quantityUnit" text,
      "purchaseOrder" text, "description" text, "upc" text, "weightPerUnit" numeric, "weightUnit" text,
      "height" numeric, "length" numeric, "dimensionUnit" text, "isDangerousGood" boolean, "lot" text,
      "expirationDate" text, "manufacturingDate" text, "caseSerials" jsonb)
    WHERE i.id = x.id;
    v_wrote := true;
  END IF;

  IF p_created IS NOT NULL THEN
    WITH created AS (
      INSERT INTO engine.order_items (order_id,
      identifier, lpn, sku, quantity, quantity_unit, purchase_order, description, upc, weight_per_unit,
      weight_unit, height, length, dimension_unit, is_dangerous_good, lot, expiration_date, manufacturing_date,
      case_serials)
      SELECT v_order_id,
      coalesce(x."identifier", ''), coalesce(x."lpn", ''), coalesce(x."sku", ''), coalesce(x."quantity", 0),
      coalesce(x."quantityUnit", ''), coalesce(x."purchaseOrder", ''), coalesce(x."description", ''),
      coalesce(x."upc", ''), coalesce(x."weightPerUnit", 0), coalesce(x."weightUnit", ''), coalesce(x."height", 0),
      coalesce(x."length", 0), coalesce(x."dimensionUnit", ''), coalesce(x."isDangerousGood", false),
      coalesce(x."lot", ''), coalesce(x."expirationDate", ''), coalesce(x."manufacturingDate", ''),
      coalesce(x."caseSerials", '[]')
      FROM jsonb_to_recordset(p_created) AS x(
        "identifier" text, "lpn" text, "sku" text, "quantity" numeric, "quantityUnit" text,
        "purchaseOrder" text, "description" text, "upc" text, "weightPerUnit" numeric, "weightUnit" text,
        "height" numeric, "length" numeric, "dimensionUnit" text, "isDangerousGood" boolean, "lot" text,
        "expirationDate" text, "manufacturingDate" text, "caseSerials" jsonb)
      RETURNING id, lpn, sku
    )
    SELECT json_agg(json_build_array(id::text, lpn, sku)) INTO v_created FROM created;
    v_wrote := true;
  END IF;

  IF NOT v_wrote THEN
    v_version := v_target_version;
  ELSIF v_target_version IS NOT NULL AND p_shipment IS NULL THEN
    UPDATE engine.shipments SET version = v_version WHERE id = v_target_id;
  END IF;
  RETURN json_build_object('written', json_build_object('shipmentId', v_target_id, 'orderId', v_order_id::text,
    'createdItems', v_created, 'version', v_version));
END
$$;

-- Replaced by engine.apply_document.
DROP FUNCTION engine.write_document_plan(jsonb, jsonb, jsonb, jsonb, jsonb);

-- The first round trip of a document sent with an Idempotency-Key (engine.idempotent_lookup_and_load of migration
-- 013, which this replaces): the key's lock and lookup, then, when the key holds no live response,
-- engine.apply_document, whose writes commit only with the response's insert (src/engine/idempotency). Same locks,
-- same order: the key first.
CREATE FUNCTION engine.idempotent_apply_document(
  p_client_id text, p_key text, p_now timestamptz,
  shipment_key text, order_key text, business_slug text, facility_slug text, dock_slug text,
  target_number text, order_direction text, target_order_number text,
  p_expected jsonb, p_shipment jsonb, p_order jsonb, p_removed jsonb, p_updated jsonb, p_created jsonb
) RETURNS json LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_stored json;
BEGIN
  -- Lock class 100 with hashtext(client \n key): the key's lock as src/engine/idempotency takes it.
  PERFORM pg_advisory_xact_lock(100, hashtext(p_client_id || E'\n' || p_key));
  SELECT json_build_object('requestSha256', k.request_sha256, 'status', k.response_status, 'body', k.response_body)
  INTO v_stored
  FROM engine.idempotency_keys k
  WHERE k.client_id = p_client_id AND k.idempotency_key = p_key AND k.expires_at > p_now;
  IF v_stored IS NOT NULL THEN
    RETURN json_build_object('stored', v_stored);
  END IF;
  RETURN engine.apply_document(shipment_key, order_key, business_slug, facility_slug, dock_slug, target_number,
    order_direction, target_order_number, p_expected, p_shipment, p_order, p_removed, p_updated, p_created);
END
$$;

DROP FUNCTION engine.idempotent_lookup_and_load(text, text, timestamptz, text, text, text, text, text, text, text, text);
DROP FUNCTION engine.load_document_target(text, text, text, text, text, text, text, text);

-- Room on each page for a shipment's next version: every document for an existing shipment rewrites its row, and
-- with free space on the page that is a heap-only update (no new index entries). Applies to pages written from now.
ALTER TABLE engine.shipments SET (fillfactor = 80);
