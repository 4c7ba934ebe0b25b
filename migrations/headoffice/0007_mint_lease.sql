-- The mint queue's lease columns, as on PostgreSQL (where several head office
-- processes claim mints with a lease that expires if a process dies). SQLite has one
-- process and never leases, but keeps the same columns so the same queries run.
ALTER TABLE nft_mints ADD COLUMN lease_owner TEXT;
ALTER TABLE nft_mints ADD COLUMN lease_until INTEGER;
