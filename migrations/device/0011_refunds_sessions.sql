-- Refunds (this device's and those pulled from head office) and cash drawer
-- sessions (issue 15). An item is refunded at most once (refunded_items).
CREATE TABLE refunds (
    id             BLOB PRIMARY KEY,
    sale_id        BLOB NOT NULL,
    order_number   TEXT NOT NULL,
    product_id     BLOB NOT NULL,
    item_ids       TEXT NOT NULL,
    amount         TEXT NOT NULL,
    currency       TEXT NOT NULL,
    payment_method TEXT NOT NULL,
    payments       TEXT,            -- JSON [{method, amount}] of a split order's refund
    reason         TEXT NOT NULL,
    device_id      BLOB,
    staff_id       BLOB,
    created_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX refunds_sale ON refunds (sale_id);
CREATE INDEX refunds_device ON refunds (device_id, created_at);
CREATE TABLE refunded_items (
    item      BLOB PRIMARY KEY,
    refund_id BLOB NOT NULL
) STRICT, WITHOUT ROWID;
CREATE TABLE cash_sessions (
    id        BLOB PRIMARY KEY,
    device_id BLOB NOT NULL,
    staff_id  BLOB,
    currency  TEXT NOT NULL,
    float     TEXT NOT NULL,
    opened_at INTEGER NOT NULL,
    closed_at INTEGER,
    counted   TEXT,
    closed_by BLOB
) STRICT;
CREATE INDEX cash_sessions_open ON cash_sessions (device_id, closed_at);
CREATE INDEX sales_device ON sales (device_id, created_at);

-- A split payment's parts (JSON [{method, amount}]); NULL when paid one way.
ALTER TABLE sales ADD COLUMN payments TEXT;
