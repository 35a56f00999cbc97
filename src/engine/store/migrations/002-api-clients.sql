-- API clients (OAuth client credentials). Secrets are stored as scrypt hashes, never in clear.
CREATE TABLE engine.api_clients (
  client_id text PRIMARY KEY,
  secret_hash text NOT NULL,
  name text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now()
);

-- A grant gives a client one business, all its facilities (facility_slug NULL) or one of them.
CREATE TABLE engine.api_client_grants (
  client_id text NOT NULL REFERENCES engine.api_clients (client_id) ON DELETE CASCADE,
  business_slug text NOT NULL,
  facility_slug text,
  UNIQUE NULLS NOT DISTINCT (client_id, business_slug, facility_slug)
);
