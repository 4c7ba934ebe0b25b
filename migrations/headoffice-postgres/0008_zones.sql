-- Zones (issue 15); same shapes as SQLite's 0011.
CREATE TABLE zones (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    gates       TEXT NOT NULL,
    product_ids TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE TRIGGER zones_chg AFTER INSERT OR UPDATE OR DELETE ON zones
    FOR EACH ROW EXECUTE FUNCTION wicket_row_changed('zone', 'id');
