-- engine.load_document_target (migration 011) again, with the matched order found in two steps instead of one
-- join. Without statistics on the tables (a new database, a bulk load, autovacuum off or behind) the planner reads
-- `arrived_at IS NULL AND linked_to_shipment_id IS NULL` as true of almost no row, so the join read the order's
-- shipment by a full scan of the partial index shipments_one_eligible_per_number, every eligible shipment, for
-- each document: measured 11 ms and 33,000 buffers per document at 35,000 shipments, growing with the table.
-- Now the candidates come newest first from orders_by_number, and each one's shipment is locked by its id alone:
-- with no eligibility condition in the WHERE clause the partial index cannot serve the query, only the primary
-- key can. Eligibility is read from the locked row version.
--
-- Same locks in the same order (the shipment key, the order key, the target shipment FOR SHARE, then the matched
-- order's shipment FOR SHARE) and the same answer: the newest order whose shipment is eligible once locked (a
-- shipment that arrived while we waited for its lock is seen arrived, and the next candidate is tried, as the
-- join's LockRows re-check did). A candidate's ineligible shipment is locked FOR SHARE too, until the document
-- commits; nothing writes an arrived or linked shipment but its DEPARTED event, which then waits that long.
CREATE OR REPLACE FUNCTION engine.load_document_target(
  shipment_key text, order_key text, business_slug text, facility_slug text, dock_slug text,
  target_number text, order_direction text, target_order_number text
) RETURNS json LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_business_id bigint;
  v_facility_id bigint;
  v_target_id bigint;
  v_order_id bigint;
  v_order_shipment_id bigint;
  v_candidate record;
  v_eligible boolean;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(shipment_key, 0));
  PERFORM pg_advisory_xact_lock(hashtextextended(order_key, 0));
  SELECT b.id, f.id INTO v_business_id, v_facility_id
  FROM engine.businesses b LEFT JOIN engine.facilities f ON f.business_id = b.id AND f.slug = facility_slug
  WHERE b.slug = business_slug;
  SELECT s.id INTO v_target_id FROM engine.shipments s
  WHERE s.facility_id = v_facility_id AND s.shipment_number = target_number
    AND s.arrived_at IS NULL AND s.linked_to_shipment_id IS NULL
  FOR SHARE;
  FOR v_candidate IN
    SELECT o.id, o.shipment_id FROM engine.orders o
    WHERE o.business_id = v_business_id AND o.facility_id = v_facility_id
      AND o.direction = order_direction AND o.order_number = target_order_number
    ORDER BY o.created_at DESC, o.id DESC
  LOOP
    SELECT os.arrived_at IS NULL AND os.linked_to_shipment_id IS NULL INTO v_eligible
    FROM engine.shipments os WHERE os.id = v_candidate.shipment_id
    FOR SHARE;
    IF v_eligible THEN
      v_order_id := v_candidate.id;
      v_order_shipment_id := v_candidate.shipment_id;
      EXIT;
    END IF;
  END LOOP;
  RETURN json_build_object(
    'businessId', v_business_id,
    'facilityId', v_facility_id,
    'dockId', (SELECT d.id::text FROM engine.docks d WHERE d.facility_id = v_facility_id AND d.slug = dock_slug),
    'shipment', engine.shipment_json(v_target_id),
    'blockedShipment', CASE WHEN v_target_id IS NULL THEN (
      SELECT json_build_object('arrived', s.arrived_at IS NOT NULL) FROM engine.shipments s
      WHERE s.facility_id = v_facility_id AND s.shipment_number = target_number
      ORDER BY s.id DESC LIMIT 1) END,
    'order', CASE WHEN v_order_id IS NOT NULL THEN json_build_object(
      'id', v_order_id::text, 'shipmentId', v_order_shipment_id,
      'view', CASE WHEN v_order_shipment_id IS DISTINCT FROM v_target_id THEN engine.order_json(v_order_id) END) END);
END
$$;
