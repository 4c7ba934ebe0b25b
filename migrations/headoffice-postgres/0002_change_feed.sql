-- Wicket head office, PostgreSQL: the change feed devices pull from.
--
-- As on SQLite, table `changes` holds one row per (entity, key) with the seq of its
-- latest change, and devices pull `WHERE seq > cursor ORDER BY seq`. Triggers on
-- every synced table, and the application's own touch (SELECT wicket_touch($1, $2)),
-- record that an entity changed.
--
-- The gap problem. SQLite has one writer at a time, so seqs become visible in the
-- order they were handed out. On PostgreSQL several head office processes write at
-- once. Had seqs come from a sequence or identity when the row changed, transaction
-- A could take 104, B take 105, and B commit first: a device pulling at that moment
-- gets 105, moves its cursor to 105, and never sees 104 once A commits.
--
-- The fix: seqs are handed out at COMMIT time, in commit order.
--   * While a transaction runs, wicket_touch only appends (entity, key) to
--     changes_staged. Those rows are invisible to everyone else until commit, and
--     no shared lock is taken, so concurrent writers do not wait on each other.
--   * The first touch of a transaction also inserts one marker row into
--     changes_publish (transaction-local setting wicket.staged remembers it did).
--     The marker fires the DEFERRABLE INITIALLY DEFERRED constraint trigger
--     changes_publish_at_commit, i.e. wicket_publish() runs once, at commit.
--   * wicket_publish takes the row lock on change_counter (UPDATE ... RETURNING),
--     allots one seq per distinct staged (entity, key) in first-touch order, upserts
--     them into changes, and empties its staged rows and marker. The counter lock is
--     held until the commit completes, so the next publisher waits and reads the
--     counter only after this transaction is visible: seqs are assigned in commit
--     order and a larger seq is never visible before a smaller one.
--   * The lock is taken at commit time only, so it is held for the microseconds of
--     publishing and committing, not for the whole transaction (taking it at the
--     first touch would serialize every writing transaction end to end).
--   * Everyone who writes `changes` holds the counter lock first, so the upsert
--     never deadlocks. A transaction that rolls back (or a rolled-back savepoint)
--     discards its staged rows and marker with it: no change, no counter advance.
--
-- Transactions that write synced tables must run at READ COMMITTED (the default):
-- at REPEATABLE READ or SERIALIZABLE, the counter UPDATE at commit fails with a
-- serialization error (40001) whenever another transaction published after this
-- one's snapshot was taken, and the whole transaction would have to be retried.
-- Application code never writes changes, change_counter, changes_staged or
-- changes_publish directly; it calls wicket_touch.

CREATE TABLE changes (
    seq    BIGINT PRIMARY KEY,
    entity TEXT NOT NULL,
    key    TEXT NOT NULL,
    UNIQUE (entity, key)
);

-- The last seq handed out; one row, locked by each publisher until its commit.
CREATE TABLE change_counter (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL
);
INSERT INTO change_counter (id, seq) VALUES (1, 0);

-- A transaction's changes wait here (invisible to others) until its commit, when
-- wicket_publish moves them into changes and deletes them: it is empty between
-- transactions.
CREATE TABLE changes_staged (
    ord    BIGINT GENERATED ALWAYS AS IDENTITY,
    entity TEXT NOT NULL,
    key    TEXT NOT NULL
);

-- One marker row per transaction that staged anything; inserting it queues the
-- deferred trigger that publishes at commit. Also empty between transactions.
CREATE TABLE changes_publish (
    id BIGINT GENERATED ALWAYS AS IDENTITY
);

-- Record that (e, k) changed in the current transaction. Called by the triggers
-- below and by the application (SELECT wicket_touch($1, $2)).
CREATE FUNCTION wicket_touch(e TEXT, k TEXT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO changes_staged (entity, key) VALUES (e, k);
    IF current_setting('wicket.staged', true) IS DISTINCT FROM '1' THEN
        INSERT INTO changes_publish DEFAULT VALUES;
        PERFORM set_config('wicket.staged', '1', true);   -- transaction-local
    END IF;
END;
$$;

-- Runs once per staging transaction, at commit (deferred constraint trigger).
CREATE FUNCTION wicket_publish() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n    BIGINT;
    base BIGINT;
BEGIN
    -- Only this transaction's staged rows are visible: other transactions' are
    -- uncommitted, and every transaction empties its own before it commits.
    SELECT count(*) INTO n FROM (SELECT DISTINCT entity, key FROM changes_staged) s;
    IF n = 0 THEN
        DELETE FROM changes_publish;
        PERFORM set_config('wicket.staged', '', true);
        RETURN NULL;
    END IF;

    -- Row lock held until commit: seqs are handed out in commit order.
    UPDATE change_counter SET seq = seq + n WHERE id = 1 RETURNING seq - n INTO base;

    INSERT INTO changes (seq, entity, key)
    SELECT base + row_number() OVER (ORDER BY min(ord)), entity, key
      FROM changes_staged
     GROUP BY entity, key
    ON CONFLICT (entity, key) DO UPDATE SET seq = EXCLUDED.seq;

    DELETE FROM changes_staged;
    DELETE FROM changes_publish;
    -- Should anything touch again later in the commit (another deferred trigger),
    -- it queues a fresh marker and is published too.
    PERFORM set_config('wicket.staged', '', true);
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER changes_publish_at_commit
    AFTER INSERT ON changes_publish
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION wicket_publish();

-- Generic row trigger: TG_ARGV[0] = entity name, TG_ARGV[1] = key column name.
-- INSERT/UPDATE touch NEW's key, DELETE touches OLD's (as the SQLite triggers do).
-- Keys are read as text through to_jsonb, so a BIGINT id becomes '5', the same as
-- SQLite's CAST(id AS TEXT); extra columns (users.rowid) do not matter.
CREATE FUNCTION wicket_row_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM wicket_touch(TG_ARGV[0], to_jsonb(OLD) ->> TG_ARGV[1]);
    ELSE
        PERFORM wicket_touch(TG_ARGV[0], to_jsonb(NEW) ->> TG_ARGV[1]);
    END IF;
    RETURN NULL;
END;
$$;

-- Fixed-key trigger: touches (TG_ARGV[0], TG_ARGV[1]) whatever the row.
CREATE FUNCTION wicket_fixed_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM wicket_touch(TG_ARGV[0], TG_ARGV[1]);
    RETURN NULL;
END;
$$;

CREATE TRIGGER events_chg AFTER INSERT OR UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION wicket_row_changed('event', 'id');
CREATE TRIGGER users_chg AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION wicket_row_changed('customer', 'id');
CREATE TRIGGER status_tiers_chg AFTER INSERT OR UPDATE OR DELETE ON status_tiers
    FOR EACH ROW EXECUTE FUNCTION wicket_row_changed('tier', 'id');
CREATE TRIGGER products_chg AFTER INSERT OR UPDATE OR DELETE ON products
    FOR EACH ROW EXECUTE FUNCTION wicket_row_changed('product', 'id');
CREATE TRIGGER order_rules_chg AFTER INSERT OR UPDATE OR DELETE ON order_rules
    FOR EACH ROW EXECUTE FUNCTION wicket_row_changed('product', 'product_id');
CREATE TRIGGER items_chg AFTER INSERT OR UPDATE OR DELETE ON items
    FOR EACH ROW EXECUTE FUNCTION wicket_row_changed('item', 'id');
CREATE TRIGGER rewards_chg AFTER INSERT OR UPDATE OR DELETE ON rewards
    FOR EACH ROW EXECUTE FUNCTION wicket_row_changed('reward_offer', 'id');
CREATE TRIGGER claim_codes_chg AFTER INSERT OR UPDATE OR DELETE ON claim_codes
    FOR EACH ROW EXECUTE FUNCTION wicket_row_changed('claim_code', 'code');
CREATE TRIGGER staff_chg AFTER INSERT OR UPDATE OR DELETE ON staff
    FOR EACH ROW EXECUTE FUNCTION wicket_row_changed('staff', 'id');
CREATE TRIGGER devices_chg AFTER INSERT OR UPDATE OR DELETE ON devices
    FOR EACH ROW EXECUTE FUNCTION wicket_row_changed('trusted_key', 'id');
CREATE TRIGGER revocations_chg AFTER INSERT OR UPDATE OR DELETE ON revocations
    FOR EACH ROW EXECUTE FUNCTION wicket_row_changed('revocation', 'item');
CREATE TRIGGER sync_conflicts_chg AFTER INSERT OR UPDATE OR DELETE ON sync_conflicts
    FOR EACH ROW EXECUTE FUNCTION wicket_row_changed('conflict', 'id');
CREATE TRIGGER redemptions_chg AFTER INSERT OR UPDATE OR DELETE ON redemptions
    FOR EACH ROW EXECUTE FUNCTION wicket_row_changed('redemption', 'id');
CREATE TRIGGER sales_chg AFTER INSERT OR UPDATE OR DELETE ON sales
    FOR EACH ROW EXECUTE FUNCTION wicket_row_changed('sale', 'id');

-- A mint's progress (pending -> minted / failed, retries) is part of the item that
-- devices pull: give the item a fresh change seq whenever its queue row changes.
-- An update that only takes or renews the worker's lease (lease_owner, lease_until,
-- PostgreSQL only) is not a change devices can see, so it does not touch the item.
CREATE TRIGGER nft_mints_chg AFTER UPDATE ON nft_mints
    FOR EACH ROW
    WHEN (to_jsonb(OLD) - 'lease_owner' - 'lease_until'
          IS DISTINCT FROM to_jsonb(NEW) - 'lease_owner' - 'lease_until')
    EXECUTE FUNCTION wicket_row_changed('item', 'item_uuid');

-- A new head office signing key is a trusted key devices must pull. Like SQLite's
-- trigger, this fires on INSERT only (an upsert's DO UPDATE path fires UPDATE).
CREATE TRIGGER ho_meta_chg AFTER INSERT ON ho_meta
    FOR EACH ROW WHEN (NEW.key = 'signing_key')
    EXECUTE FUNCTION wicket_fixed_changed('trusted_key', 'headoffice');
