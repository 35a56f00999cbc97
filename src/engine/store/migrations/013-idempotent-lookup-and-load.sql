-- The first round trip of a document sent with an Idempotency-Key: take the key's advisory lock, look the key up,
-- and, when it holds no live response, lock and load the document's target (engine.load_document_target) in the
-- same call, instead of three round trips (lock, look up, load). Same locks, same order: the key first.
-- plpgsql, VOLATILE: each statement reads a snapshot taken after the locks were granted, so a request that waited
-- on the key sees the response the holder committed. (Numbered 013 but it only runs when called: the table it
-- reads, engine.idempotency_keys, comes from migration 100.)
CREATE FUNCTION engine.idempotent_lookup_and_load(
  p_client_id text, p_key text, p_now timestamptz,
  shipment_key text, order_key text, business_slug text, facility_slug text, dock_slug text,
  target_number text, order_direction text, target_order_number text
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
  RETURN json_build_object('target', engine.load_document_target(shipment_key, order_key, business_slug, facility_slug, dock_slug,
    target_number, order_direction, target_order_number));
END
$$;
