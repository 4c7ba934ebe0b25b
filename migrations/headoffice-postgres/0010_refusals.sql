-- Refused scans (issue 15); same shapes as SQLite's 0013.
CREATE TABLE refusals (
    id          TEXT PRIMARY KEY,
    code        TEXT NOT NULL,
    item        TEXT,
    product_id  TEXT,
    gate        TEXT,
    at          BIGINT NOT NULL,
    device_id   TEXT NOT NULL,
    staff_id    TEXT,
    received_at BIGINT NOT NULL
);
CREATE INDEX refusals_at ON refusals(at);
CREATE TRIGGER refusals_chg AFTER INSERT OR UPDATE OR DELETE ON refusals
    FOR EACH ROW EXECUTE FUNCTION wicket_row_changed('refusal', 'id');
