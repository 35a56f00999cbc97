-- A submit job re-run after its first run recorded the outcome and freed the order's next document, but could not
-- queue that document (Redis away at that moment), found the next one QUEUED and returned nothing: the order
-- stayed stuck until a restart (seen when Redis was SIGKILLed mid-run). The re-run now returns a QUEUED head too.
CREATE OR REPLACE PROCEDURE gateway.finish_document(
  p_file_id text,
  p_idx integer,
  p_order_key text,
  p_state text,
  p_engine_status integer,
  p_response jsonb,
  p_problem jsonb,
  p_error jsonb,
  INOUT o_finished boolean DEFAULT NULL,
  INOUT o_next_file_id text DEFAULT NULL,
  INOUT o_next_idx integer DEFAULT NULL,
  INOUT o_file_state text DEFAULT NULL,
  INOUT o_pending boolean DEFAULT NULL
) LANGUAGE plpgsql AS $$
BEGIN
  IF p_state IS NOT NULL THEN
    UPDATE gateway.documents
       SET state = p_state, engine_status = p_engine_status, response = p_response, problem = p_problem,
           error = COALESCE(p_error, error), updated_at = now()
     WHERE file_id = p_file_id AND idx = p_idx AND state = 'QUEUED';
    o_finished := FOUND;
    COMMIT;
  END IF;
  -- activateHeads for one key (same statement, same race semantics: a second run may return the same head).
  WITH heads AS (
    SELECT DISTINCT ON (d.order_key) d.file_id, d.idx, d.state
      FROM gateway.documents d
     WHERE d.order_key = p_order_key AND d.state IN ('WAITING', 'QUEUED')
     ORDER BY d.order_key, d.file_seq, d.idx
  )
  UPDATE gateway.documents d SET state = 'QUEUED', updated_at = now()
    FROM heads h, gateway.files f
   WHERE d.file_id = h.file_id AND d.idx = h.idx AND h.state = 'WAITING' AND f.id = h.file_id AND f.state = 'SUBMITTING'
  RETURNING d.file_id, d.idx INTO o_next_file_id, o_next_idx;
  -- A re-run (no outcome: the job's first run recorded it and died, or could not queue the head it freed, Redis
  -- being away): a head already QUEUED is returned too, so it is queued again (job ids make that a no-op when its
  -- job exists). Without this it waited for a restart's recovery.
  IF o_next_file_id IS NULL AND p_state IS NULL THEN
    SELECT h.file_id, h.idx INTO o_next_file_id, o_next_idx
      FROM (SELECT DISTINCT ON (d.order_key) d.file_id, d.idx, d.state
              FROM gateway.documents d
             WHERE d.order_key = p_order_key AND d.state IN ('WAITING', 'QUEUED')
             ORDER BY d.order_key, d.file_seq, d.idx) h
      JOIN gateway.files f ON f.id = h.file_id
     WHERE h.state = 'QUEUED' AND f.state = 'SUBMITTING';
  END IF;
  COMMIT;
  -- finalizeWhenDone's questions: the file's state, then (only while SUBMITTING) whether a document is pending.
  SELECT f.state INTO o_file_state FROM gateway.files f WHERE f.id = p_file_id;
  IF o_file_state = 'SUBMITTING' THEN
    o_pending := EXISTS (SELECT 1 FROM gateway.documents d WHERE d.file_id = p_file_id AND d.state IN ('WAITING', 'QUEUED'));
  END IF;
END
$$;
