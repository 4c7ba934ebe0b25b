-- Refunds and cash drawer sessions (issue 15). A refund gives money back for items
-- of one sale and revokes them; each item is refunded at most once (refunded_items).
CREATE TABLE refunds (
    id             TEXT PRIMARY KEY,
    sale_id        TEXT NOT NULL REFERENCES sales(id),
    order_number   TEXT NOT NULL,
    product_id     TEXT NOT NULL REFERENCES products(id),
    item_ids       TEXT NOT NULL,   -- JSON [uuid]
    amount         TEXT NOT NULL,
    currency       TEXT NOT NULL,
    payment_method TEXT NOT NULL,
    payments       TEXT,            -- JSON [{method, amount}] of a split order's refund
    reason         TEXT NOT NULL,
    device_id      TEXT,
    staff_id       TEXT,
    refunded_at    INTEGER NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX refunds_sale ON refunds(sale_id);
CREATE INDEX refunds_device ON refunds(device_id, refunded_at);
CREATE TABLE refunded_items (
    item      TEXT PRIMARY KEY,
    refund_id TEXT NOT NULL REFERENCES refunds(id)
);
CREATE TRIGGER refunds_chg_insert AFTER INSERT ON refunds BEGIN DELETE FROM changes WHERE entity = 'refund' AND key = NEW.id; INSERT INTO changes (entity, key) VALUES ('refund', NEW.id); END;

-- A device's drawer session as it last reported it (opened, then closed).
CREATE TABLE cash_sessions (
    id         TEXT PRIMARY KEY,
    device_id  TEXT NOT NULL,
    staff_id   TEXT,
    currency   TEXT NOT NULL,
    float      TEXT NOT NULL,
    opened_at  INTEGER NOT NULL,
    closed_at  INTEGER,
    counted    TEXT,
    closed_by  TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX cash_sessions_device ON cash_sessions(device_id, opened_at);
CREATE INDEX sales_device ON sales(device_id, sold_at);

-- A split payment's parts (JSON [{method, amount}]); NULL when paid one way.
ALTER TABLE sales ADD COLUMN payments TEXT;
