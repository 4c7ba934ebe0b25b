-- Mint claims take turns: a worker locks this one row (FOR UPDATE, released at its
-- commit) while it leases due mints, so two processes never lease items of the same
-- product at once. One product's mints, and the creation of its collection, stay
-- with one process until its lease ends.
CREATE TABLE mint_claim_lock (
    id INTEGER PRIMARY KEY CHECK (id = 1)
);
INSERT INTO mint_claim_lock (id) VALUES (1);
