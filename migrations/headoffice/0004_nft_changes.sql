-- A mint's progress (pending -> minted / failed, retries) is part of the item that
-- devices pull: give the item a fresh change seq whenever its queue row changes.
CREATE TRIGGER nft_mints_chg_update AFTER UPDATE ON nft_mints BEGIN
    DELETE FROM changes WHERE entity = 'item' AND key = NEW.item_uuid;
    INSERT INTO changes (entity, key) VALUES ('item', NEW.item_uuid);
END;
