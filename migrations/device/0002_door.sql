-- Door and staff, version 2: staff with hashed PINs, trusted ticket-signing keys,
-- revoked items.

CREATE TABLE staff (
    id       BLOB PRIMARY KEY,
    name     TEXT NOT NULL,
    role     TEXT NOT NULL CHECK (role IN ('door', 'box_office', 'manager', 'admin')),
    pin_hash TEXT NOT NULL,
    active   INTEGER NOT NULL DEFAULT 1
) STRICT;

-- Public keys whose tickets the door accepts: head office's and every enrolled
-- device's. key_id = first 8 bytes of SHA-256 of the public key.
CREATE TABLE trusted_keys (
    key_id     BLOB PRIMARY KEY,
    public_key BLOB NOT NULL,
    owner      TEXT NOT NULL,
    revoked_at INTEGER
) STRICT;

-- Items revoked by a manager or by head office; the door refuses their tickets.
CREATE TABLE revocations (
    item       BLOB PRIMARY KEY,
    revoked_at INTEGER NOT NULL,
    reason     TEXT
) STRICT;
