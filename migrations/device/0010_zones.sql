-- Zones pulled from head office (the domain's JSON): a gate in a zone admits only
-- that zone's products.
CREATE TABLE zones (
    id   BLOB PRIMARY KEY,
    body TEXT NOT NULL
) STRICT;
