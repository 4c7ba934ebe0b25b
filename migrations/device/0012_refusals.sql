-- Refused scans: this door's own and every other door's (from the pull), for the
-- live numbers.
CREATE TABLE refusals (
    id         BLOB PRIMARY KEY,
    code       TEXT NOT NULL,
    item       BLOB,
    product_id BLOB,
    gate       TEXT,
    at         INTEGER NOT NULL,
    device_id  BLOB NOT NULL
) STRICT;
CREATE INDEX refusals_at ON refusals (at);
