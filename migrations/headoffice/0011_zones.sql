-- Zones (issue 15): an area whose gates admit only its products; doors pull them.
CREATE TABLE zones (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    gates       TEXT NOT NULL,   -- JSON [string]
    product_ids TEXT NOT NULL,   -- JSON [uuid]
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE TRIGGER zones_chg_insert AFTER INSERT ON zones BEGIN DELETE FROM changes WHERE entity = 'zone' AND key = NEW.id; INSERT INTO changes (entity, key) VALUES ('zone', NEW.id); END;
CREATE TRIGGER zones_chg_update AFTER UPDATE ON zones BEGIN DELETE FROM changes WHERE entity = 'zone' AND key = NEW.id; INSERT INTO changes (entity, key) VALUES ('zone', NEW.id); END;
CREATE TRIGGER zones_chg_delete AFTER DELETE ON zones BEGIN DELETE FROM changes WHERE entity = 'zone' AND key = OLD.id; INSERT INTO changes (entity, key) VALUES ('zone', OLD.id); END;
