-- Wicket head office schema, version 2: sync with devices (DESIGN.md §4).
-- Enrolled devices and their credentials (hash only), staff, the op log that makes
-- every pushed operation exactly-once, redemption facts and conflicts, stock
-- allotments, and the change sequence devices pull from.

CREATE TABLE ho_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE devices (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    public_key      TEXT NOT NULL,              -- hex Ed25519 ticket-signing key
    credential_hash TEXT NOT NULL UNIQUE,       -- hex SHA-256 of the bearer credential
    enrolled_at     INTEGER NOT NULL,
    revoked_at      INTEGER
);

CREATE TABLE enrollment_codes (
    code_hash  TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    device_id  TEXT,
    created_at INTEGER NOT NULL
);

CREATE TABLE staff (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('door', 'box_office', 'manager', 'admin')),
    pin_hash   TEXT NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
);

-- One row per operation ever pushed: op_id is the idempotency key, kept for good.
CREATE TABLE sync_ops (
    op_id       TEXT PRIMARY KEY,
    device_id   TEXT NOT NULL,
    device_seq  INTEGER NOT NULL,
    staff_id    TEXT,
    device_time INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('applied', 'conflict', 'rejected')),
    code        TEXT,
    message     TEXT,
    received_at INTEGER NOT NULL
);
CREATE INDEX sync_ops_device ON sync_ops(device_id, device_seq);

-- Every scan that happened, including those beyond redemption_quantity.
CREATE TABLE redemptions (
    id          TEXT PRIMARY KEY,
    item        TEXT NOT NULL,
    product_id  TEXT,
    device_id   TEXT NOT NULL,
    staff_id    TEXT,
    gate        TEXT,
    redeemed_at INTEGER NOT NULL,
    op_id       TEXT NOT NULL,
    conflict    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX redemptions_item ON redemptions(item, redeemed_at);

-- Facts that broke a rule when they reached head office, kept for review.
CREATE TABLE sync_conflicts (
    id         TEXT PRIMARY KEY,
    op_id      TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    item       TEXT,
    code       TEXT NOT NULL,
    detail     TEXT NOT NULL,
    at         INTEGER NOT NULL,
    resolved   INTEGER NOT NULL DEFAULT 0
);

-- A customer a device created offline whose email head office already knew: the
-- device's id is an alias of head office's customer.
CREATE TABLE customer_aliases (
    alias_id    TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES users(id)
);

CREATE TABLE revocations (
    item       TEXT PRIMARY KEY,
    revoked_at INTEGER NOT NULL,
    reason     TEXT
);

CREATE TABLE allotments (
    id            TEXT PRIMARY KEY,
    product_id    TEXT NOT NULL REFERENCES products(id),
    device_id     TEXT NOT NULL REFERENCES devices(id),
    units         INTEGER NOT NULL,
    used          INTEGER NOT NULL DEFAULT 0,
    first_item_id INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    released_at   INTEGER
);
CREATE INDEX allotments_device ON allotments(device_id, product_id);

-- The change sequence: one row per (entity, key) holding the seq of its latest
-- change; a change deletes the old row and appends a new one, so seq only grows and
-- a device that asks for seq > cursor gets the latest state of everything changed.
CREATE TABLE changes (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    entity TEXT NOT NULL,
    key    TEXT NOT NULL,
    UNIQUE (entity, key)
);

CREATE TRIGGER events_chg_insert AFTER INSERT ON events BEGIN DELETE FROM changes WHERE entity = 'event' AND key = NEW.id; INSERT INTO changes (entity, key) VALUES ('event', NEW.id); END;
CREATE TRIGGER events_chg_update AFTER UPDATE ON events BEGIN DELETE FROM changes WHERE entity = 'event' AND key = NEW.id; INSERT INTO changes (entity, key) VALUES ('event', NEW.id); END;
CREATE TRIGGER events_chg_delete AFTER DELETE ON events BEGIN DELETE FROM changes WHERE entity = 'event' AND key = OLD.id; INSERT INTO changes (entity, key) VALUES ('event', OLD.id); END;
INSERT OR IGNORE INTO changes (entity, key) SELECT 'event', id FROM events;
CREATE TRIGGER users_chg_insert AFTER INSERT ON users BEGIN DELETE FROM changes WHERE entity = 'customer' AND key = NEW.id; INSERT INTO changes (entity, key) VALUES ('customer', NEW.id); END;
CREATE TRIGGER users_chg_update AFTER UPDATE ON users BEGIN DELETE FROM changes WHERE entity = 'customer' AND key = NEW.id; INSERT INTO changes (entity, key) VALUES ('customer', NEW.id); END;
CREATE TRIGGER users_chg_delete AFTER DELETE ON users BEGIN DELETE FROM changes WHERE entity = 'customer' AND key = OLD.id; INSERT INTO changes (entity, key) VALUES ('customer', OLD.id); END;
INSERT OR IGNORE INTO changes (entity, key) SELECT 'customer', id FROM users;
CREATE TRIGGER status_tiers_chg_insert AFTER INSERT ON status_tiers BEGIN DELETE FROM changes WHERE entity = 'tier' AND key = CAST(NEW.id AS TEXT); INSERT INTO changes (entity, key) VALUES ('tier', CAST(NEW.id AS TEXT)); END;
CREATE TRIGGER status_tiers_chg_update AFTER UPDATE ON status_tiers BEGIN DELETE FROM changes WHERE entity = 'tier' AND key = CAST(NEW.id AS TEXT); INSERT INTO changes (entity, key) VALUES ('tier', CAST(NEW.id AS TEXT)); END;
CREATE TRIGGER status_tiers_chg_delete AFTER DELETE ON status_tiers BEGIN DELETE FROM changes WHERE entity = 'tier' AND key = CAST(OLD.id AS TEXT); INSERT INTO changes (entity, key) VALUES ('tier', CAST(OLD.id AS TEXT)); END;
INSERT OR IGNORE INTO changes (entity, key) SELECT 'tier', CAST(id AS TEXT) FROM status_tiers;
CREATE TRIGGER products_chg_insert AFTER INSERT ON products BEGIN DELETE FROM changes WHERE entity = 'product' AND key = NEW.id; INSERT INTO changes (entity, key) VALUES ('product', NEW.id); END;
CREATE TRIGGER products_chg_update AFTER UPDATE ON products BEGIN DELETE FROM changes WHERE entity = 'product' AND key = NEW.id; INSERT INTO changes (entity, key) VALUES ('product', NEW.id); END;
CREATE TRIGGER products_chg_delete AFTER DELETE ON products BEGIN DELETE FROM changes WHERE entity = 'product' AND key = OLD.id; INSERT INTO changes (entity, key) VALUES ('product', OLD.id); END;
INSERT OR IGNORE INTO changes (entity, key) SELECT 'product', id FROM products;
CREATE TRIGGER order_rules_chg_insert AFTER INSERT ON order_rules BEGIN DELETE FROM changes WHERE entity = 'product' AND key = NEW.product_id; INSERT INTO changes (entity, key) VALUES ('product', NEW.product_id); END;
CREATE TRIGGER order_rules_chg_update AFTER UPDATE ON order_rules BEGIN DELETE FROM changes WHERE entity = 'product' AND key = NEW.product_id; INSERT INTO changes (entity, key) VALUES ('product', NEW.product_id); END;
CREATE TRIGGER order_rules_chg_delete AFTER DELETE ON order_rules BEGIN DELETE FROM changes WHERE entity = 'product' AND key = OLD.product_id; INSERT INTO changes (entity, key) VALUES ('product', OLD.product_id); END;
INSERT OR IGNORE INTO changes (entity, key) SELECT 'product', product_id FROM order_rules;
CREATE TRIGGER items_chg_insert AFTER INSERT ON items BEGIN DELETE FROM changes WHERE entity = 'item' AND key = NEW.id; INSERT INTO changes (entity, key) VALUES ('item', NEW.id); END;
CREATE TRIGGER items_chg_update AFTER UPDATE ON items BEGIN DELETE FROM changes WHERE entity = 'item' AND key = NEW.id; INSERT INTO changes (entity, key) VALUES ('item', NEW.id); END;
CREATE TRIGGER items_chg_delete AFTER DELETE ON items BEGIN DELETE FROM changes WHERE entity = 'item' AND key = OLD.id; INSERT INTO changes (entity, key) VALUES ('item', OLD.id); END;
INSERT OR IGNORE INTO changes (entity, key) SELECT 'item', id FROM items;
CREATE TRIGGER rewards_chg_insert AFTER INSERT ON rewards BEGIN DELETE FROM changes WHERE entity = 'reward_offer' AND key = NEW.id; INSERT INTO changes (entity, key) VALUES ('reward_offer', NEW.id); END;
CREATE TRIGGER rewards_chg_update AFTER UPDATE ON rewards BEGIN DELETE FROM changes WHERE entity = 'reward_offer' AND key = NEW.id; INSERT INTO changes (entity, key) VALUES ('reward_offer', NEW.id); END;
CREATE TRIGGER rewards_chg_delete AFTER DELETE ON rewards BEGIN DELETE FROM changes WHERE entity = 'reward_offer' AND key = OLD.id; INSERT INTO changes (entity, key) VALUES ('reward_offer', OLD.id); END;
INSERT OR IGNORE INTO changes (entity, key) SELECT 'reward_offer', id FROM rewards;
CREATE TRIGGER claim_codes_chg_insert AFTER INSERT ON claim_codes BEGIN DELETE FROM changes WHERE entity = 'claim_code' AND key = NEW.code; INSERT INTO changes (entity, key) VALUES ('claim_code', NEW.code); END;
CREATE TRIGGER claim_codes_chg_update AFTER UPDATE ON claim_codes BEGIN DELETE FROM changes WHERE entity = 'claim_code' AND key = NEW.code; INSERT INTO changes (entity, key) VALUES ('claim_code', NEW.code); END;
CREATE TRIGGER claim_codes_chg_delete AFTER DELETE ON claim_codes BEGIN DELETE FROM changes WHERE entity = 'claim_code' AND key = OLD.code; INSERT INTO changes (entity, key) VALUES ('claim_code', OLD.code); END;
INSERT OR IGNORE INTO changes (entity, key) SELECT 'claim_code', code FROM claim_codes;
CREATE TRIGGER staff_chg_insert AFTER INSERT ON staff BEGIN DELETE FROM changes WHERE entity = 'staff' AND key = NEW.id; INSERT INTO changes (entity, key) VALUES ('staff', NEW.id); END;
CREATE TRIGGER staff_chg_update AFTER UPDATE ON staff BEGIN DELETE FROM changes WHERE entity = 'staff' AND key = NEW.id; INSERT INTO changes (entity, key) VALUES ('staff', NEW.id); END;
CREATE TRIGGER staff_chg_delete AFTER DELETE ON staff BEGIN DELETE FROM changes WHERE entity = 'staff' AND key = OLD.id; INSERT INTO changes (entity, key) VALUES ('staff', OLD.id); END;
INSERT OR IGNORE INTO changes (entity, key) SELECT 'staff', id FROM staff;
CREATE TRIGGER devices_chg_insert AFTER INSERT ON devices BEGIN DELETE FROM changes WHERE entity = 'trusted_key' AND key = NEW.id; INSERT INTO changes (entity, key) VALUES ('trusted_key', NEW.id); END;
CREATE TRIGGER devices_chg_update AFTER UPDATE ON devices BEGIN DELETE FROM changes WHERE entity = 'trusted_key' AND key = NEW.id; INSERT INTO changes (entity, key) VALUES ('trusted_key', NEW.id); END;
CREATE TRIGGER devices_chg_delete AFTER DELETE ON devices BEGIN DELETE FROM changes WHERE entity = 'trusted_key' AND key = OLD.id; INSERT INTO changes (entity, key) VALUES ('trusted_key', OLD.id); END;
INSERT OR IGNORE INTO changes (entity, key) SELECT 'trusted_key', id FROM devices;
CREATE TRIGGER revocations_chg_insert AFTER INSERT ON revocations BEGIN DELETE FROM changes WHERE entity = 'revocation' AND key = NEW.item; INSERT INTO changes (entity, key) VALUES ('revocation', NEW.item); END;
CREATE TRIGGER revocations_chg_update AFTER UPDATE ON revocations BEGIN DELETE FROM changes WHERE entity = 'revocation' AND key = NEW.item; INSERT INTO changes (entity, key) VALUES ('revocation', NEW.item); END;
CREATE TRIGGER revocations_chg_delete AFTER DELETE ON revocations BEGIN DELETE FROM changes WHERE entity = 'revocation' AND key = OLD.item; INSERT INTO changes (entity, key) VALUES ('revocation', OLD.item); END;
INSERT OR IGNORE INTO changes (entity, key) SELECT 'revocation', item FROM revocations;
CREATE TRIGGER sync_conflicts_chg_insert AFTER INSERT ON sync_conflicts BEGIN DELETE FROM changes WHERE entity = 'conflict' AND key = NEW.id; INSERT INTO changes (entity, key) VALUES ('conflict', NEW.id); END;
CREATE TRIGGER sync_conflicts_chg_update AFTER UPDATE ON sync_conflicts BEGIN DELETE FROM changes WHERE entity = 'conflict' AND key = NEW.id; INSERT INTO changes (entity, key) VALUES ('conflict', NEW.id); END;
CREATE TRIGGER sync_conflicts_chg_delete AFTER DELETE ON sync_conflicts BEGIN DELETE FROM changes WHERE entity = 'conflict' AND key = OLD.id; INSERT INTO changes (entity, key) VALUES ('conflict', OLD.id); END;
INSERT OR IGNORE INTO changes (entity, key) SELECT 'conflict', id FROM sync_conflicts;
CREATE TRIGGER redemptions_chg_insert AFTER INSERT ON redemptions BEGIN DELETE FROM changes WHERE entity = 'redemption' AND key = NEW.id; INSERT INTO changes (entity, key) VALUES ('redemption', NEW.id); END;
CREATE TRIGGER redemptions_chg_update AFTER UPDATE ON redemptions BEGIN DELETE FROM changes WHERE entity = 'redemption' AND key = NEW.id; INSERT INTO changes (entity, key) VALUES ('redemption', NEW.id); END;
CREATE TRIGGER redemptions_chg_delete AFTER DELETE ON redemptions BEGIN DELETE FROM changes WHERE entity = 'redemption' AND key = OLD.id; INSERT INTO changes (entity, key) VALUES ('redemption', OLD.id); END;
INSERT OR IGNORE INTO changes (entity, key) SELECT 'redemption', id FROM redemptions;
CREATE TRIGGER ho_meta_chg AFTER INSERT ON ho_meta WHEN NEW.key = 'signing_key' BEGIN DELETE FROM changes WHERE entity = 'trusted_key' AND key = 'headoffice'; INSERT INTO changes (entity, key) VALUES ('trusted_key', 'headoffice'); END;

-- Sales reach devices through pull too, with their items found by origin_ref.
CREATE INDEX items_origin_ref ON items(origin_ref);
CREATE TRIGGER sales_chg_insert AFTER INSERT ON sales BEGIN DELETE FROM changes WHERE entity = 'sale' AND key = NEW.id; INSERT INTO changes (entity, key) VALUES ('sale', NEW.id); END;
CREATE TRIGGER sales_chg_update AFTER UPDATE ON sales BEGIN DELETE FROM changes WHERE entity = 'sale' AND key = NEW.id; INSERT INTO changes (entity, key) VALUES ('sale', NEW.id); END;
CREATE TRIGGER sales_chg_delete AFTER DELETE ON sales BEGIN DELETE FROM changes WHERE entity = 'sale' AND key = OLD.id; INSERT INTO changes (entity, key) VALUES ('sale', OLD.id); END;
INSERT OR IGNORE INTO changes (entity, key) SELECT 'sale', id FROM sales;
