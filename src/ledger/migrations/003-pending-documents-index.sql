-- "Is any document of this file still on its way?" is asked after every document: a partial index keeps it
-- one index probe however large the file (a scan of the file's documents made a 10k-document file quadratic).
CREATE INDEX documents_pending_by_file ON gateway.documents (file_id) WHERE state IN ('WAITING', 'QUEUED');
