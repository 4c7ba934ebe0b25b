-- Sync with head office, version 3: stock allotments this device sells from while
-- offline, and conflicts/rejections head office reported. The pull cursor, head
-- office URL and device credential live in `meta`.

CREATE TABLE allotments (
    id            BLOB PRIMARY KEY,
    product_id    BLOB NOT NULL,
    units         INTEGER NOT NULL,
    used          INTEGER NOT NULL DEFAULT 0,
    first_item_id INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    -- 1 once release has been asked for: no more issues from it.
    released      INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX allotments_product ON allotments (product_id, released);

CREATE TABLE sync_conflicts (
    id        BLOB PRIMARY KEY,
    op_id     BLOB,
    device_id BLOB,
    kind      TEXT NOT NULL,
    item      BLOB,
    code      TEXT NOT NULL,
    detail    TEXT NOT NULL,
    at        INTEGER NOT NULL,
    -- 'conflict' (head office flagged a fact) or 'rejected' (an op was refused).
    source    TEXT NOT NULL
) STRICT;
