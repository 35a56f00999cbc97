-- Businesses, their facilities and docks: what documents name by slug.
CREATE TABLE engine.businesses (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  slug text NOT NULL UNIQUE,
  name text NOT NULL DEFAULT ''
);

CREATE TABLE engine.facilities (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  business_id bigint NOT NULL REFERENCES engine.businesses (id),
  slug text NOT NULL,
  name text NOT NULL DEFAULT '',
  UNIQUE (business_id, slug)
);

CREATE TABLE engine.docks (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  facility_id bigint NOT NULL REFERENCES engine.facilities (id),
  slug text NOT NULL,
  UNIQUE (facility_id, slug)
);
