-- engine.apply_document (migration 015) without deadlocks between documents that share a shipment row without
-- sharing its advisory lock: a document moving an order off shipment S (it names another shipment) and a document
-- naming S both read S and both write S's version. Each used to lock S FOR SHARE and then update it, so each
-- waited for the other's share lock to end: a deadlock, found only after deadlock_timeout (1 s by default), then
-- retried, and under steady traffic retried until a document failed (measured: 28 deadlocks in 80 documents
-- moving three orders between two shipments from two engine processes, one document failing after 5 attempts).
--
-- Now the rows a document may write are locked for writing (FOR NO KEY UPDATE: documents creating orders on the
-- shipment take FOR KEY SHARE through the foreign key, which it does not block), both in one statement, in id
-- order, so two documents crossing orders between the same two shipments lock them in the same order too. Which
-- rows those are is read first without a lock, and their versions and eligibility as they are once locked: an
-- arrival may have committed meanwhile, and the lookup then starts again (an arrived or linked shipment never
-- becomes eligible again, so it ends). The lookup can trust the unlocked read for the rest: the advisory locks
-- keep every other document from creating a shipment of the number, or moving or creating an order of the
-- number. An ineligible candidate's shipment is no longer locked at all.
CREATE OR REPLACE FUNCTION engine.apply_document(
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
  v_locked record;
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
  <<lookup>>
  LOOP
    SELECT s.id INTO v_target_id FROM engine.shipments s
    WHERE s.facility_id = v_facility_id AND s.shipment_number = target_number
      AND s.arrived_at IS NULL AND s.linked_to_shipment_id IS NULL;
    v_order_id := NULL;
    v_order_shipment_id := NULL;
    FOR v_candidate IN
      SELECT o.id, o.shipment_id FROM engine.orders o
      WHERE o.business_id = v_business_id AND o.facility_id = v_facility_id
        AND o.direction = order_direction AND o.order_number = target_order_number
      ORDER BY o.created_at DESC, o.id DESC
    LOOP
      SELECT os.arrived_at IS NULL AND os.linked_to_shipment_id IS NULL INTO v_eligible
      FROM engine.shipments os WHERE os.id = v_candidate.shipment_id;
      IF v_eligible THEN
        v_order_id := v_candidate.id;
        v_order_shipment_id := v_candidate.shipment_id;
        EXIT;
      END IF;
    END LOOP;
    v_target_version := NULL;
    v_order_shipment_version := NULL;
    v_eligible := true;
    FOR v_locked IN
      SELECT s.id, s.version, s.arrived_at IS NULL AND s.linked_to_shipment_id IS NULL AS eligible
      FROM engine.shipments s WHERE s.id IN (v_target_id, v_order_shipment_id)
      ORDER BY s.id FOR NO KEY UPDATE
    LOOP
      v_eligible := v_eligible AND v_locked.eligible;
      IF v_locked.id = v_target_id THEN v_target_version := v_locked.version; END IF;
      IF v_locked.id = v_order_shipment_id THEN v_order_shipment_version := v_locked.version; END IF;
    END LOOP;
    EXIT lookup WHEN v_eligible;
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
