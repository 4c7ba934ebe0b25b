-- The change feed without a commit-time lock (replaces 0002/0004's publish).
--
-- 0002 numbered a transaction's changes at commit under the one-row counter lock, so
-- every writing transaction in every process queued on that row for the tail of its
-- commit: measured, it was most of a redemption's cost with several writers.
--
-- Now writers never wait on each other: a touch only appends (entity, key) to
-- changes_staged. The staged rows are numbered afterwards, in a transaction of their
-- own, by whoever pulls (wicket_sequence, below):
--   * wicket_sequence takes the counter row lock (sequencers queue; writers never
--     take it) and moves every staged row it can see into `changes` with the next
--     seqs. At READ COMMITTED it sees exactly the rows of transactions committed
--     before its statement began; a transaction still open (or one that rolled back)
--     keeps its rows out of sight, and they are numbered by a later call, with
--     larger seqs.
--   * The next sequencer gets the lock only after this one has committed and become
--     visible, so seqs become visible in increasing order, each batch whole. A
--     pull's snapshot, taken after its own sequencing, sees a prefix of the seqs:
--     a device that has seen seq N can never later be handed a change below N.
--   * A transaction left open holds back only its own changes, never the feed.
--
-- Sequencing runs in its own READ COMMITTED statement before each pull's snapshot;
-- inside the function each statement takes a fresh snapshot, so a sequencer that
-- waited for the lock sees what the previous one moved.

DROP TRIGGER changes_publish_at_commit ON changes_publish;
DROP FUNCTION wicket_publish();
DROP TABLE changes_publish;

CREATE OR REPLACE FUNCTION wicket_touch(e TEXT, k TEXT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO changes_staged (entity, key) VALUES (e, k);
$$;

CREATE OR REPLACE FUNCTION wicket_row_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r RECORD;
    k TEXT;
BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    -- One branch per key column in use (each is planned only when taken).
    IF TG_ARGV[1] = 'id' THEN
        k := r.id::text;
    ELSIF TG_ARGV[1] = 'product_id' THEN
        k := r.product_id;
    ELSIF TG_ARGV[1] = 'code' THEN
        k := r.code;
    ELSIF TG_ARGV[1] = 'item' THEN
        k := r.item;
    ELSIF TG_ARGV[1] = 'item_uuid' THEN
        k := r.item_uuid;
    ELSE
        k := to_jsonb(r) ->> TG_ARGV[1];
    END IF;
    INSERT INTO changes_staged (entity, key) VALUES (TG_ARGV[0], k);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION wicket_fixed_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO changes_staged (entity, key) VALUES (TG_ARGV[0], TG_ARGV[1]);
    RETURN NULL;
END;
$$;

-- Number every staged change of a committed transaction; returns the last seq.
CREATE FUNCTION wicket_sequence() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    base BIGINT;
    n    BIGINT;
BEGIN
    -- One sequencer at a time; the lock is held until this transaction commits.
    SELECT seq INTO base FROM change_counter WHERE id = 1 FOR UPDATE;
    -- A fresh statement, a fresh snapshot: the previous sequencer's moves are seen.
    WITH gone AS (DELETE FROM changes_staged RETURNING ord, entity, key)
    INSERT INTO changes (seq, entity, key)
    SELECT base + row_number() OVER (ORDER BY max(ord)), entity, key
      FROM gone GROUP BY entity, key
    ON CONFLICT (entity, key) DO UPDATE SET seq = EXCLUDED.seq;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
        UPDATE change_counter SET seq = base + n WHERE id = 1;
    END IF;
    RETURN base + n;
END;
$$;
