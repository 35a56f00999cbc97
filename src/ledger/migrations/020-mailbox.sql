-- Mailbox channel. Where the watcher is in each watched IMAP folder: a restart neither misses nor repeats a message.
-- UIDs only mean something under one UIDVALIDITY; when the server changes it, the cursor restarts at 0 and
-- gateway.mailbox_messages (keyed by the message's own bytes) keeps an already handled message from being handled twice.
CREATE TABLE gateway.mailbox_cursors (
  -- `<user>@<host>/<folder>` unless the settings name it: one row per watched folder.
  mailbox text PRIMARY KEY,
  uid_validity bigint NOT NULL,
  last_uid bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Every message the watcher handled and where it went: PROCESSED (its files are in the inbox) or QUARANTINED
-- (with the reason). Recorded before the message is moved, so a crash between the two only repeats the move.
CREATE TABLE gateway.mailbox_messages (
  mailbox text NOT NULL,
  -- sha256 of the raw message; for a message too large to download, a hash of its envelope.
  message_key text NOT NULL,
  uid_validity bigint NOT NULL,
  uid bigint NOT NULL,
  message_id text,
  sender text NOT NULL DEFAULT '',
  subject text NOT NULL DEFAULT '',
  size_bytes bigint,
  customer text,
  outcome text NOT NULL CHECK (outcome IN ('PROCESSED', 'QUARANTINED')),
  reason_code text,
  reason text,
  file_ids jsonb NOT NULL DEFAULT '[]',
  -- NONE: no reply is due (processed, or unknown sender: never backscatter); PENDING → SENT or FAILED.
  reply_state text NOT NULL DEFAULT 'NONE' CHECK (reply_state IN ('NONE', 'PENDING', 'SENT', 'FAILED')),
  reply_error text,
  handled_at timestamptz NOT NULL DEFAULT now(),
  moved_at timestamptz,
  PRIMARY KEY (mailbox, message_key)
);
CREATE INDEX mailbox_messages_outcome ON gateway.mailbox_messages (outcome, handled_at);
