-- Everything a document's decisions need, read under the document's locks, in one round trip.
--
-- The advisory locks serialise the documents that touch one shipment or one order, across every process sharing
-- the database, so many documents for the same new order create exactly one shipment and one order and none
-- fails. The shipment key is always taken before the order key, so documents never wait on each other in a cycle.
-- plpgsql because, under READ COMMITTED, each statement of a VOLATILE function takes a new snapshot: the reads
-- below see whatever the lock holder before us committed. (One SQL statement would read a snapshot taken before
-- its locks were granted.)
--
-- Eligible = not arrived and not linked to another shipment (guide, section 6); among duplicate order numbers
-- the most recently created eligible order wins. The matched order's view is only returned when it is not on
-- the target shipment (whose view already holds it).
--
-- The target shipment and the matched order's shipment are locked FOR SHARE until the document commits, so a
-- shipment cannot arrive (recordShipmentEvent locks it FOR UPDATE) between the eligibility check and the writes:
-- an arrival that commits first makes the re-checked row ineligible, and the document then sees the conflict.
CREATE FUNCTION engine.load_document_target(
  shipment_key text, order_key text, business_slug text, facility_slug text, dock_slug text,
  target_number text, order_direction text, target_order_number text
) RETURNS json LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_business_id bigint;
  v_facility_id bigint;
  v_target_id bigint;
  v_order_id bigint;
  v_order_shipment_id bigint;
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
  SELECT o.id, o.shipment_id INTO v_order_id, v_order_shipment_id
  FROM engine.orders o JOIN engine.shipments os ON os.id = o.shipment_id
  WHERE o.business_id = v_business_id AND o.facility_id = v_facility_id
    AND o.direction = order_direction AND o.order_number = target_order_number
    AND os.arrived_at IS NULL AND os.linked_to_shipment_id IS NULL
  ORDER BY o.created_at DESC, o.id DESC
  LIMIT 1
  FOR SHARE OF os;
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
