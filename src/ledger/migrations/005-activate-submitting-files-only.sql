-- A document goes out only once its whole file is mapped (its file SUBMITTING): a document of a file still being
-- parsed, freed by an earlier file's document for the same order, was sent before its file could be refused
-- part-way (onError: rejectFile, an X12 envelope refused at its end). Such a head stays WAITING, still holding the
-- order's later documents back; its file's parse frees it on SUBMITTING, or frees the order when refusing the file.
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
  COMMIT;
  -- finalizeWhenDone's questions: the file's state, then (only while SUBMITTING) whether a document is pending.
  SELECT f.state INTO o_file_state FROM gateway.files f WHERE f.id = p_file_id;
  IF o_file_state = 'SUBMITTING' THEN
    o_pending := EXISTS (SELECT 1 FROM gateway.documents d WHERE d.file_id = p_file_id AND d.state IN ('WAITING', 'QUEUED'));
  END IF;
END
$$;
