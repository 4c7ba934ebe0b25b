-- Scans of items head office does not know yet are kept pending and counted when
-- the item arrives (whatever order devices sync in).
ALTER TABLE redemptions ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
CREATE INDEX redemptions_pending ON redemptions(item) WHERE pending = 1;

-- Per-device sync state for support: last push and pull, op outcomes.
CREATE TABLE device_sync (
    device_id        TEXT PRIMARY KEY,
    last_push_at     INTEGER,
    last_pull_at     INTEGER,
    last_pull_cursor INTEGER,
    applied          INTEGER NOT NULL DEFAULT 0,
    duplicate        INTEGER NOT NULL DEFAULT 0,
    conflict         INTEGER NOT NULL DEFAULT 0,
    rejected         INTEGER NOT NULL DEFAULT 0
);
