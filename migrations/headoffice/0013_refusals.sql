-- Refused scans (issue 15, live numbers): every door reports the scans it refused
-- so each door and head office count refusals from all of them.
CREATE TABLE refusals (
    id          TEXT PRIMARY KEY,
    code        TEXT NOT NULL,
    item        TEXT,
    product_id  TEXT,
    gate        TEXT,
    at          INTEGER NOT NULL,
    device_id   TEXT NOT NULL,
    staff_id    TEXT,
    received_at INTEGER NOT NULL
);
CREATE INDEX refusals_at ON refusals(at);
CREATE TRIGGER refusals_chg_insert AFTER INSERT ON refusals BEGIN DELETE FROM changes WHERE entity = 'refusal' AND key = NEW.id; INSERT INTO changes (entity, key) VALUES ('refusal', NEW.id); END;
