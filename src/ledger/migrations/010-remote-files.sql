-- sftp-poll: every file taken from a customer's own SFTP server. A file is identified by where it was and what
-- the listing said (size, mtime): a restart, or a move to processed/ that failed, never ingests it again, while a
-- new upload under the same name (another size or mtime) is a new file.
CREATE TABLE gateway.remote_files (
  customer text NOT NULL,
  remote_path text NOT NULL,
  size_bytes bigint NOT NULL,
  remote_mtime timestamptz NOT NULL,
  -- TAKEN: in the inbox, still on the server (cleanup pending); MOVED / DELETED: cleaned up; REFUSED: the inbox
  -- would not take it (too big...), left on the server and not retried until it changes.
  state text NOT NULL,
  sha256 text,
  file_id text REFERENCES gateway.files (id),
  processed_path text,
  last_error text,
  taken_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer, remote_path, size_bytes, remote_mtime)
);
CREATE INDEX remote_files_file ON gateway.remote_files (file_id);
