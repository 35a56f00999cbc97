-- Idempotency keys of POST /v1/documents: the first response to (client, key) is kept and replayed for 24 hours.
-- The body is kept as text, not jsonb, so a replay is byte for byte the first response (jsonb reorders keys).
CREATE TABLE engine.idempotency_keys (
  client_id text NOT NULL,
  idempotency_key text NOT NULL,
  request_sha256 text NOT NULL,
  response_status smallint NOT NULL,
  response_body text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (client_id, idempotency_key)
);

CREATE INDEX idempotency_keys_expires_at ON engine.idempotency_keys (expires_at);
