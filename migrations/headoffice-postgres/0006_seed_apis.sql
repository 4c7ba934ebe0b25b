-- The W3Block and PERS wire APIs (issue 14); same shapes as SQLite's 0009.
CREATE TABLE companies (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
INSERT INTO companies (id, name, created_at)
    VALUES ('00000000-0000-4000-8000-000000000001', 'Default company',
            to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));

CREATE TABLE product_details (
    product_id        TEXT PRIMARY KEY REFERENCES products(id),
    company_id        TEXT NOT NULL REFERENCES companies(id),
    distribution_type TEXT NOT NULL,
    pricing_type      TEXT NOT NULL,
    draft_data        TEXT,
    html_content      TEXT,
    terms             TEXT,
    relevance         DOUBLE PRECISION NOT NULL DEFAULT 0,
    on_demand_mint    INTEGER NOT NULL DEFAULT 1,
    images            TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX product_details_company ON product_details(company_id);
INSERT INTO product_details (product_id, company_id, distribution_type, pricing_type)
    SELECT id, '00000000-0000-4000-8000-000000000001', 'sequential', 'product' FROM products;

ALTER TABLE rewards ALTER COLUMN grant_product_id DROP NOT NULL;
ALTER TABLE rewards ALTER COLUMN grant_quantity DROP NOT NULL;
ALTER TABLE rewards ADD COLUMN image_url TEXT;
