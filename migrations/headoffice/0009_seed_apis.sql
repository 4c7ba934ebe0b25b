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

-- What W3Block's commerce admin says about a product and MUFI does not: kept beside
-- the product so the catalog (and what devices replicate) stays one shape.
CREATE TABLE product_details (
    product_id        TEXT PRIMARY KEY REFERENCES products(id),
    company_id        TEXT NOT NULL REFERENCES companies(id),
    distribution_type TEXT NOT NULL,
    pricing_type      TEXT NOT NULL,
    draft_data        TEXT,          -- JSON object
    html_content      TEXT,
    terms             TEXT,          -- JSON [object]
    relevance         REAL NOT NULL DEFAULT 0,
    on_demand_mint    INTEGER NOT NULL DEFAULT 1,
    images            TEXT NOT NULL DEFAULT '[]'   -- JSON [object]
);
CREATE INDEX product_details_company ON product_details(company_id);
INSERT INTO product_details (product_id, company_id, distribution_type, pricing_type)
    SELECT id, '00000000-0000-4000-8000-000000000001', 'sequential', 'product' FROM products;

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
