-- A file received while a file with the same bytes was still on its way: whether it is a DUPLICATE is decided by its
-- parse, once that file's outcome is known. Decided at receipt, a copy arriving together with a file then refused
-- (no mapping for its name) was a DUPLICATE of a file that applied nothing, and neither was applied.
ALTER TABLE gateway.files ADD COLUMN awaits_original text REFERENCES gateway.files (id);
