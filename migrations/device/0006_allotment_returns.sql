-- Item numbers of an allotment given back because head office refused the op that
-- used them; the next offline issue uses them again before the allotment's range.
CREATE TABLE allotment_returns (
    allotment_id BLOB NOT NULL,
    item_id      INTEGER NOT NULL,
    PRIMARY KEY (allotment_id, item_id)
) STRICT, WITHOUT ROWID;
