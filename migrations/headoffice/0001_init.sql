-- Wicket head office schema, version 1.
-- Ids are UUID text; business times are Unix seconds (INTEGER); record times
-- (created_at/updated_at) are ISO-8601 text; money is decimal text, never REAL.

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    key_hash    TEXT NOT NULL UNIQUE,          -- hex SHA-256 of the key; the key itself is never stored
    scope       TEXT NOT NULL CHECK (scope IN ('read', 'write')),
    created_at  TEXT NOT NULL
);

CREATE TABLE events (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    start_date   INTEGER NOT NULL,
    end_date     INTEGER NOT NULL,
    location     TEXT NOT NULL,
    address      TEXT NOT NULL,
    description  TEXT,
    reference_id TEXT UNIQUE,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    first_name     TEXT,
    last_name      TEXT,
    reference_id   TEXT UNIQUE,
    country        TEXT,
    -- Balances are the sums of the ledger, kept here in the same transaction.
    reputation     INTEGER NOT NULL DEFAULT 0,
    credits        INTEGER NOT NULL DEFAULT 0,
    status_balance INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

CREATE TABLE ledger (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    user_id       TEXT NOT NULL REFERENCES users(id),
    kind          TEXT NOT NULL CHECK (kind IN ('reputation', 'credits', 'status')),
    delta         INTEGER NOT NULL,
    balance_after INTEGER NOT NULL,
    reason        TEXT NOT NULL,
    ref_id        TEXT,
    at            INTEGER NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX ledger_user ON ledger(user_id, seq);

-- The ledger is append-only: history is corrected by new entries, never edited.
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;

CREATE TABLE status_tiers (
    id                  INTEGER PRIMARY KEY,
    name                TEXT NOT NULL UNIQUE,
    min_token_balance   INTEGER NOT NULL,
    discount_percentage TEXT NOT NULL,
    created_at          TEXT NOT NULL
);

CREATE TABLE products (
    id                  TEXT PRIMARY KEY,
    event_id            TEXT REFERENCES events(id),
    name                TEXT NOT NULL,
    description         TEXT,
    type                TEXT NOT NULL,
    prices              TEXT NOT NULL,            -- JSON [{currency, amount}]
    stock               INTEGER,
    max_per_account     INTEGER,
    redemption_quantity INTEGER NOT NULL,
    is_transferable     INTEGER NOT NULL,
    is_claimable        INTEGER NOT NULL,
    min_rep_balance     INTEGER NOT NULL,
    max_items           INTEGER,
    active              INTEGER NOT NULL,
    mint_nft            INTEGER NOT NULL,
    metadata_uri        TEXT,
    chain               TEXT,
    status              TEXT NOT NULL,
    slug                TEXT NOT NULL UNIQUE,
    tags                TEXT NOT NULL,            -- JSON [string]
    start_sale_at       INTEGER,
    end_sale_at         INTEGER,
    issued              INTEGER NOT NULL DEFAULT 0,
    next_item_id        INTEGER NOT NULL DEFAULT 1,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX products_created ON products(created_at);

CREATE TABLE order_rules (
    id             TEXT PRIMARY KEY,
    product_id     TEXT NOT NULL REFERENCES products(id),
    start_at       INTEGER,
    end_at         INTEGER,
    purchase_limit INTEGER,
    created_at     TEXT NOT NULL
);
CREATE INDEX order_rules_product ON order_rules(product_id);

CREATE TABLE items (
    id                  TEXT PRIMARY KEY,
    product_id          TEXT NOT NULL REFERENCES products(id),
    item_id             INTEGER NOT NULL,
    owner_id            TEXT NOT NULL REFERENCES users(id),
    redemption_count    INTEGER NOT NULL DEFAULT 0,
    redemption_quantity INTEGER NOT NULL,
    redeemed_at         INTEGER,
    origin              TEXT NOT NULL,
    origin_ref          TEXT,                     -- sale, reward redeem or claim code
    revoked             INTEGER NOT NULL DEFAULT 0,
    issued_at           INTEGER NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    UNIQUE (product_id, item_id)
);
CREATE INDEX items_owner ON items(owner_id, product_id);

CREATE TABLE transfers (
    id             TEXT PRIMARY KEY,
    item_id        TEXT NOT NULL REFERENCES items(id),
    from_user_id   TEXT NOT NULL REFERENCES users(id),
    to_user_id     TEXT NOT NULL REFERENCES users(id),
    transferred_at INTEGER NOT NULL
);

CREATE TABLE sales (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT NOT NULL UNIQUE,
    order_number     TEXT NOT NULL UNIQUE,
    product_id       TEXT NOT NULL REFERENCES products(id),
    quantity         INTEGER NOT NULL,
    currency         TEXT NOT NULL,
    unit_price       TEXT NOT NULL,
    subtotal         TEXT NOT NULL,
    discount_percentage TEXT NOT NULL,
    discount         TEXT NOT NULL,
    total            TEXT NOT NULL,
    payment_method   TEXT NOT NULL,
    buyer_id         TEXT NOT NULL REFERENCES users(id),
    device_id        TEXT,
    sold_at          INTEGER NOT NULL,
    created_at       TEXT NOT NULL
);
CREATE INDEX sales_buyer ON sales(buyer_id, product_id, sold_at);
CREATE INDEX sales_product ON sales(product_id, seq);

CREATE TABLE claim_codes (
    code        TEXT PRIMARY KEY,
    product_id  TEXT NOT NULL REFERENCES products(id),
    claimed_by  TEXT REFERENCES users(id),
    claimed_at  INTEGER,
    item        TEXT REFERENCES items(id),
    created_at  TEXT NOT NULL
);

CREATE TABLE rewards (
    id                   TEXT PRIMARY KEY,
    name                 TEXT NOT NULL,
    description          TEXT,
    credit_cost          INTEGER NOT NULL,
    grant_product_id     TEXT NOT NULL REFERENCES products(id),
    grant_quantity       INTEGER NOT NULL,
    supply_total         INTEGER,
    redeemed_count       INTEGER NOT NULL DEFAULT 0,
    max_per_user         INTEGER,
    min_tier_id          INTEGER,
    country_restrictions TEXT NOT NULL,          -- JSON [string]
    tags                 TEXT NOT NULL,          -- JSON [string]
    ord                  INTEGER NOT NULL DEFAULT 0,
    active               INTEGER NOT NULL,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);

CREATE TABLE reward_redeems (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    reward_id     TEXT NOT NULL REFERENCES rewards(id),
    user_id       TEXT NOT NULL REFERENCES users(id),
    country       TEXT,
    credits_spent INTEGER NOT NULL,
    redeemed_at   INTEGER NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX reward_redeems_user ON reward_redeems(user_id, reward_id);
