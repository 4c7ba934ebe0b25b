-- Entry and exit (issue 15): a product may allow re-entry after an exit, and every
-- door's passages (exits, and the ins of re-entry products) are facts head office
-- keeps and hands to every door, so a ticket inside cannot come in again elsewhere.
ALTER TABLE products ADD COLUMN allow_reentry INTEGER NOT NULL DEFAULT 0;

CREATE TABLE passages (
    id          TEXT PRIMARY KEY,
    item        TEXT NOT NULL,
    direction   TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    gate        TEXT,
    at          INTEGER NOT NULL,
    device_id   TEXT NOT NULL,
    staff_id    TEXT,
    received_at INTEGER NOT NULL
);
CREATE INDEX passages_item ON passages(item, at);
CREATE TRIGGER passages_chg_insert AFTER INSERT ON passages BEGIN DELETE FROM changes WHERE entity = 'passage' AND key = NEW.id; INSERT INTO changes (entity, key) VALUES ('passage', NEW.id); END;
