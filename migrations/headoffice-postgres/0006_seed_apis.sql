-- The W3Block and PERS wire APIs (issue 14); same shapes as SQLite's 0009.
CREATE TABLE companies (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
INSERT INTO companies (id, name, created_at)
    VALUES ('00000000-0000-4000-8000-000000000001', 'Default company',
            to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));

-- A product belongs to a company; its slug is unique within that company.
ALTER TABLE products ADD COLUMN company_id TEXT NOT NULL
    DEFAULT '00000000-0000-4000-8000-000000000001' REFERENCES companies(id);
ALTER TABLE products DROP CONSTRAINT products_slug_key;
ALTER TABLE products ADD CONSTRAINT products_company_slug_key UNIQUE (company_id, slug);

CREATE TABLE product_details (
    product_id        TEXT PRIMARY KEY REFERENCES products(id),
    distribution_type TEXT NOT NULL,
    pricing_type      TEXT NOT NULL,
    draft_data        TEXT,
    html_content      TEXT,
    terms             TEXT,
    relevance         DOUBLE PRECISION NOT NULL DEFAULT 0,
    on_demand_mint    INTEGER NOT NULL DEFAULT 1,
    images            TEXT NOT NULL DEFAULT '[]'
);

ALTER TABLE rewards ALTER COLUMN grant_product_id DROP NOT NULL;
ALTER TABLE rewards ALTER COLUMN grant_quantity DROP NOT NULL;
ALTER TABLE rewards ADD COLUMN image_url TEXT;

-- PERS's public project key is a third key scope.
ALTER TABLE api_keys DROP CONSTRAINT api_keys_scope_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_scope_check CHECK (scope IN ('read', 'write', 'project'));
