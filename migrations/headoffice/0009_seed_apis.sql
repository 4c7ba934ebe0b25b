-- The W3Block and PERS wire APIs (issue 14).
--
-- Companies are W3Block's tenants. The MUFI `/v1` API works on the default
-- company, which every product made before companies existed belongs to.
CREATE TABLE companies (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
INSERT INTO companies (id, name, created_at)
    VALUES ('00000000-0000-4000-8000-000000000001', 'Default company', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

-- A product belongs to a company; its slug is unique within that company (a
-- company must not learn another's slugs from a 409). SQLite cannot drop the old
-- UNIQUE(slug), so the table is rebuilt (foreign keys are off while migrations run;
-- the tables that reference products keep pointing at the name).
CREATE TABLE products_new (
    id                  TEXT PRIMARY KEY,
    event_id            TEXT REFERENCES events(id),
    name                TEXT NOT NULL,
    description         TEXT,
    type                TEXT NOT NULL,
    prices              TEXT NOT NULL,
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
    slug                TEXT NOT NULL,
    tags                TEXT NOT NULL,
    start_sale_at       INTEGER,
    end_sale_at         INTEGER,
    issued              INTEGER NOT NULL DEFAULT 0,
    next_item_id        INTEGER NOT NULL DEFAULT 1,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    company_id          TEXT NOT NULL DEFAULT '00000000-0000-4000-8000-000000000001' REFERENCES companies(id),
    UNIQUE (company_id, slug)
);
INSERT INTO products_new (id, event_id, name, description, type, prices, stock, max_per_account,
        redemption_quantity, is_transferable, is_claimable, min_rep_balance, max_items, active,
        mint_nft, metadata_uri, chain, status, slug, tags, start_sale_at, end_sale_at, issued,
        next_item_id, created_at, updated_at)
    SELECT id, event_id, name, description, type, prices, stock, max_per_account,
        redemption_quantity, is_transferable, is_claimable, min_rep_balance, max_items, active,
        mint_nft, metadata_uri, chain, status, slug, tags, start_sale_at, end_sale_at, issued,
        next_item_id, created_at, updated_at FROM products;
DROP TABLE products;
ALTER TABLE products_new RENAME TO products;
CREATE INDEX products_created ON products(created_at);
CREATE TRIGGER products_chg_insert AFTER INSERT ON products BEGIN DELETE FROM changes WHERE entity = 'product' AND key = NEW.id; INSERT INTO changes (entity, key) VALUES ('product', NEW.id); END;
CREATE TRIGGER products_chg_update AFTER UPDATE ON products BEGIN DELETE FROM changes WHERE entity = 'product' AND key = NEW.id; INSERT INTO changes (entity, key) VALUES ('product', NEW.id); END;
CREATE TRIGGER products_chg_delete AFTER DELETE ON products BEGIN DELETE FROM changes WHERE entity = 'product' AND key = OLD.id; INSERT INTO changes (entity, key) VALUES ('product', OLD.id); END;

-- What W3Block's commerce admin says about a product and MUFI does not: kept beside
-- the product so the catalog (and what devices replicate) stays one shape. A
-- product without a row has the defaults.
CREATE TABLE product_details (
    product_id        TEXT PRIMARY KEY REFERENCES products(id),
    distribution_type TEXT NOT NULL,
    pricing_type      TEXT NOT NULL,
    draft_data        TEXT,          -- JSON object
    html_content      TEXT,
    terms             TEXT,          -- JSON [object]
    relevance         REAL NOT NULL DEFAULT 0,
    on_demand_mint    INTEGER NOT NULL DEFAULT 1,
    images            TEXT NOT NULL DEFAULT '[]'   -- JSON [object]
);

-- A PERS redemption is created before its token unit is added: the grant becomes
-- optional, and the offer gains PERS's image. SQLite cannot drop NOT NULL, so the
-- table is rebuilt (foreign keys are off while migrations run).
CREATE TABLE rewards_new (
    id                   TEXT PRIMARY KEY,
    name                 TEXT NOT NULL,
    description          TEXT,
    credit_cost          INTEGER NOT NULL,
    grant_product_id     TEXT REFERENCES products(id),
    grant_quantity       INTEGER,
    supply_total         INTEGER,
    redeemed_count       INTEGER NOT NULL DEFAULT 0,
    max_per_user         INTEGER,
    min_tier_id          INTEGER,
    country_restrictions TEXT NOT NULL,
    tags                 TEXT NOT NULL,
    ord                  INTEGER NOT NULL DEFAULT 0,
    active               INTEGER NOT NULL,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    image_url            TEXT
);
INSERT INTO rewards_new (id, name, description, credit_cost, grant_product_id, grant_quantity,
        supply_total, redeemed_count, max_per_user, min_tier_id, country_restrictions, tags,
        ord, active, created_at, updated_at)
    SELECT id, name, description, credit_cost, grant_product_id, grant_quantity,
        supply_total, redeemed_count, max_per_user, min_tier_id, country_restrictions, tags,
        ord, active, created_at, updated_at FROM rewards;
DROP TABLE rewards;
ALTER TABLE rewards_new RENAME TO rewards;
CREATE TRIGGER rewards_chg_insert AFTER INSERT ON rewards BEGIN DELETE FROM changes WHERE entity = 'reward_offer' AND key = NEW.id; INSERT INTO changes (entity, key) VALUES ('reward_offer', NEW.id); END;
CREATE TRIGGER rewards_chg_update AFTER UPDATE ON rewards BEGIN DELETE FROM changes WHERE entity = 'reward_offer' AND key = NEW.id; INSERT INTO changes (entity, key) VALUES ('reward_offer', NEW.id); END;
CREATE TRIGGER rewards_chg_delete AFTER DELETE ON rewards BEGIN DELETE FROM changes WHERE entity = 'reward_offer' AND key = OLD.id; INSERT INTO changes (entity, key) VALUES ('reward_offer', OLD.id); END;

-- PERS's public project key is a third key scope.
CREATE TABLE api_keys_new (
    id          TEXT PRIMARY KEY,
    key_hash    TEXT NOT NULL UNIQUE,
    scope       TEXT NOT NULL CHECK (scope IN ('read', 'write', 'project')),
    created_at  TEXT NOT NULL
);
INSERT INTO api_keys_new (id, key_hash, scope, created_at)
    SELECT id, key_hash, scope, created_at FROM api_keys;
DROP TABLE api_keys;
ALTER TABLE api_keys_new RENAME TO api_keys;
