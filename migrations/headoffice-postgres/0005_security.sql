-- Head office distrusts devices and can revoke and rotate (issue 17).
--
-- A re-enrollment of an existing device id needs a code an admin made for it.
ALTER TABLE enrollment_codes ADD COLUMN for_device TEXT;

-- When an allotment was granted: a device's offline sale may be priced as the
-- catalog stood from then on.
ALTER TABLE allotments ADD COLUMN granted_at BIGINT;

-- Every price a product has asked, from when: a pushed sale is held to the catalog
-- as it was, not to what the device says.
CREATE TABLE product_prices (
    product_id TEXT NOT NULL REFERENCES products(id),
    currency   TEXT NOT NULL,
    amount     TEXT NOT NULL,
    from_at    BIGINT NOT NULL
);
CREATE INDEX product_prices_of ON product_prices(product_id, currency, from_at);
-- What products ask today, as asked since the beginning (older history is unknown).
INSERT INTO product_prices (product_id, currency, amount, from_at)
    SELECT p.id, j.value ->> 'currency', j.value ->> 'amount', 0
    FROM products p, json_array_elements(p.prices::json) j;

-- Head office's retired ticket keys: trusted by devices until `retired_at`
-- (the overlap of a rotation), refused after.
CREATE TABLE ho_keys (
    key_id      TEXT PRIMARY KEY,
    public_key  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    retired_at  BIGINT NOT NULL
);

-- Manager and admin acts, from devices and from head office: who did what, when.
CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    device_id   TEXT,
    staff_id    TEXT,
    action      TEXT NOT NULL,
    subject     TEXT,
    detail      TEXT,
    at          BIGINT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at);
