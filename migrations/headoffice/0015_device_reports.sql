-- What each device last reported with its pull: operations still waiting to
-- upload, and its app version (the admin's Devices screen shows both).
ALTER TABLE device_sync ADD COLUMN pending_ops INTEGER;
ALTER TABLE device_sync ADD COLUMN app_version TEXT;
