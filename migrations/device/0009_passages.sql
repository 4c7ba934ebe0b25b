-- Entry and exit: every passage this door made or heard of (from head office's
-- pull), merged by time: the latest says whether a ticket is inside.
CREATE TABLE passages (
    id        BLOB PRIMARY KEY,
    item      BLOB NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    gate      TEXT,
    at        INTEGER NOT NULL,
    device_id BLOB NOT NULL
) STRICT;
CREATE INDEX passages_item ON passages (item, at);
