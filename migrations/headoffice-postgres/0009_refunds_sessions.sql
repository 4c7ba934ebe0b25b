-- Refunds and cash drawer sessions (issue 15); same shapes as SQLite's 0012.
CREATE TABLE refunds (
    id             TEXT PRIMARY KEY,
    sale_id        TEXT NOT NULL REFERENCES sales(id),
    order_number   TEXT NOT NULL,
    product_id     TEXT NOT NULL REFERENCES products(id),
    item_ids       TEXT NOT NULL,
    amount         TEXT NOT NULL,
    currency       TEXT NOT NULL,
    payment_method TEXT NOT NULL,
    payments       TEXT,            -- JSON [{method, amount}] of a split order's refund
    reason         TEXT NOT NULL,
    device_id      TEXT,
    staff_id       TEXT,
    refunded_at    BIGINT NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX refunds_sale ON refunds(sale_id);
CREATE INDEX refunds_device ON refunds(device_id, refunded_at);
CREATE TABLE refunded_items (
    item      TEXT PRIMARY KEY,
    refund_id TEXT NOT NULL REFERENCES refunds(id)
);
CREATE TRIGGER refunds_chg AFTER INSERT OR UPDATE OR DELETE ON refunds
    FOR EACH ROW EXECUTE FUNCTION wicket_row_changed('refund', 'id');

CREATE TABLE cash_sessions (
    id         TEXT PRIMARY KEY,
    device_id  TEXT NOT NULL,
    staff_id   TEXT,
    currency   TEXT NOT NULL,
    float      TEXT NOT NULL,
    opened_at  BIGINT NOT NULL,
    closed_at  BIGINT,
    counted    TEXT,
    closed_by  TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX cash_sessions_device ON cash_sessions(device_id, opened_at);
CREATE INDEX sales_device ON sales(device_id, sold_at);

-- A split payment's parts (JSON [{method, amount}]); NULL when paid one way.
ALTER TABLE sales ADD COLUMN payments TEXT;
