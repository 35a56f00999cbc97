-- The ledger: every file's and every document's story. Lives in the same store as the engine (another schema).
CREATE TABLE gateway.files (
  id text PRIMARY KEY,
  -- Arrival order: documents for the same order are applied in this order.
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  customer text NOT NULL,
  channel text NOT NULL,
  original_name text NOT NULL,
  size_bytes bigint NOT NULL,
  sha256 text NOT NULL,
  sender text NOT NULL DEFAULT '',
  spool_path text NOT NULL,
  reply_to jsonb,
  state text NOT NULL,
  duplicate_of text REFERENCES gateway.files (id),
  replay_of text REFERENCES gateway.files (id),
  mapping_name text,
  mapping_hash text,
  document_count integer,
  test_mode boolean NOT NULL DEFAULT false,
  error jsonb,
  received_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX files_dedup ON gateway.files (customer, sha256, received_at);
CREATE INDEX files_state ON gateway.files (state, seq);

CREATE TABLE gateway.file_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  file_id text NOT NULL REFERENCES gateway.files (id),
  at timestamptz NOT NULL DEFAULT now(),
  state text NOT NULL,
  detail jsonb
);
CREATE INDEX file_events_file ON gateway.file_events (file_id, id);

CREATE TABLE gateway.documents (
  file_id text NOT NULL REFERENCES gateway.files (id),
  idx integer NOT NULL,
  file_seq bigint NOT NULL,
  -- business/facility/direction/orderNumber: documents with the same key are applied one after another.
  order_key text NOT NULL,
  order_number text NOT NULL DEFAULT '',
  payload jsonb,
  sources jsonb NOT NULL,
  mapping_hash text,
  state text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  engine_status integer,
  response jsonb,
  problem jsonb,
  error jsonb,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (file_id, idx)
);
CREATE INDEX documents_pending_by_order ON gateway.documents (order_key, file_seq, idx) WHERE state IN ('WAITING', 'QUEUED');

CREATE TABLE gateway.deliveries (
  file_id text NOT NULL REFERENCES gateway.files (id),
  channel text NOT NULL,
  target jsonb NOT NULL,
  state text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (file_id, channel)
);
