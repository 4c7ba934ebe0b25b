-- Entry and exit (issue 15); same shapes as SQLite's 0010.
ALTER TABLE products ADD COLUMN allow_reentry INTEGER NOT NULL DEFAULT 0;

CREATE TABLE passages (
    id          TEXT PRIMARY KEY,
    item        TEXT NOT NULL,
    direction   TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    gate        TEXT,
    at          BIGINT NOT NULL,
    device_id   TEXT NOT NULL,
    staff_id    TEXT,
    received_at BIGINT NOT NULL
);
CREATE INDEX passages_item ON passages(item, at);
CREATE TRIGGER passages_chg AFTER INSERT OR UPDATE OR DELETE ON passages
    FOR EACH ROW EXECUTE FUNCTION wicket_row_changed('passage', 'id');
