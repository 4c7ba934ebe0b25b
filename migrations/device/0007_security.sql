-- Device security, version 7: a retired head office key is trusted only through its
-- rotation's overlap; wrong PINs lock a staff member out with a growing delay.
ALTER TABLE trusted_keys ADD COLUMN trusted_until INTEGER;

CREATE TABLE pin_failures (
    staff_id     BLOB PRIMARY KEY,
    failures     INTEGER NOT NULL,
    locked_until INTEGER NOT NULL
) STRICT;
