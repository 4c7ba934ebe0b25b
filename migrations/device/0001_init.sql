-- Wicket device replica, version 1.
-- UUIDs are stored as 16-byte BLOBs (compact keys for a 1M-item replica); money as
-- decimal TEXT; times as Unix seconds.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE events (
    id           BLOB PRIMARY KEY,
    name         TEXT NOT NULL,
    start_date   INTEGER NOT NULL,
    end_date     INTEGER NOT NULL,
    location     TEXT NOT NULL,
    address      TEXT NOT NULL,
    description  TEXT,
    reference_id TEXT
) STRICT;

-- The product itself is the domain's JSON (one source of truth for its many fields);
-- the counters next to it are what the issue rules need.
CREATE TABLE products (
    id           BLOB PRIMARY KEY,
    event_id     BLOB,
    name         TEXT NOT NULL,
    body         TEXT NOT NULL,
    issued       INTEGER NOT NULL DEFAULT 0,
    next_item_id INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE customers (
    id             BLOB PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    first_name     TEXT,
    last_name      TEXT,
    reputation     INTEGER NOT NULL DEFAULT 0,
    credits        INTEGER NOT NULL DEFAULT 0,
    status_balance INTEGER NOT NULL DEFAULT 0,
    country        TEXT
) STRICT;
CREATE INDEX customers_name ON customers (last_name, first_name);

CREATE TABLE status_tiers (
    id   INTEGER PRIMARY KEY,
    body TEXT NOT NULL
) STRICT;

CREATE TABLE items (
    id                  BLOB PRIMARY KEY,
    product_id          BLOB NOT NULL REFERENCES products (id),
    item_id             INTEGER NOT NULL,
    owner_id            BLOB NOT NULL REFERENCES customers (id),
    redemption_count    INTEGER NOT NULL DEFAULT 0,
    redemption_quantity INTEGER NOT NULL,
    redeemed_at         INTEGER,
    origin              TEXT NOT NULL,
    revoked             INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    UNIQUE (product_id, item_id)
) STRICT;
CREATE INDEX items_owner ON items (owner_id, product_id);

-- Every scan that redeemed something: where and when, for "already redeemed at ...".
-- Keyed by item first (WITHOUT ROWID) so a door write touches one b-tree, not two.
CREATE TABLE redemptions (
    item        BLOB NOT NULL,
    id          BLOB NOT NULL,
    redeemed_at INTEGER NOT NULL,
    device_id   BLOB NOT NULL,
    staff_id    BLOB,
    gate        TEXT,
    PRIMARY KEY (item, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE sales (
    id             BLOB PRIMARY KEY,
    order_number   TEXT NOT NULL UNIQUE,
    product_id     BLOB NOT NULL,
    quantity       INTEGER NOT NULL,
    currency       TEXT NOT NULL,
    unit_price     TEXT NOT NULL,
    discount       TEXT NOT NULL,
    total          TEXT NOT NULL,
    payment_method TEXT NOT NULL,
    buyer_id       BLOB NOT NULL,
    device_id      BLOB,
    staff_id       BLOB,
    created_at     INTEGER NOT NULL,
    item_ids       TEXT NOT NULL
) STRICT;
CREATE INDEX sales_buyer ON sales (buyer_id, product_id, created_at);

CREATE TABLE claim_codes (
    code       BLOB PRIMARY KEY,
    product_id BLOB NOT NULL,
    claimed_by BLOB,
    claimed_at INTEGER
) STRICT;

CREATE TABLE reward_offers (
    id   BLOB PRIMARY KEY,
    body TEXT NOT NULL
) STRICT;

CREATE TABLE reward_redeems (
    id          BLOB PRIMARY KEY,
    offer_id    BLOB NOT NULL,
    customer_id BLOB NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX reward_redeems_by ON reward_redeems (offer_id, customer_id);

-- Local changes waiting to go to head office (DESIGN.md §4). op_id is a UUIDv7 and
-- the idempotency key head office stores.
CREATE TABLE outbox (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id       BLOB NOT NULL UNIQUE,
    device_id   BLOB NOT NULL,
    staff_id    BLOB,
    device_time INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL
) STRICT;
