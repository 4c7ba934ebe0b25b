-- Staff signed in at head office from an enrolled device, for management screens:
-- a short-lived token (hash only) names the staff member and the device it was
-- issued to; the role is read from `staff` at each use, so a role change or a
-- deactivation takes effect at once. PIN failures lock a staff member out for a
-- while (wicket_domain::pin_lockout_secs), as a device does at its own sign-in.
CREATE TABLE staff_tokens (
    token_hash TEXT PRIMARY KEY,
    staff_id   TEXT NOT NULL REFERENCES staff (id),
    device_id  TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX staff_tokens_staff ON staff_tokens (staff_id);

CREATE TABLE staff_pin_failures (
    staff_id     TEXT PRIMARY KEY REFERENCES staff (id),
    failures     INTEGER NOT NULL,
    locked_until INTEGER NOT NULL
);
