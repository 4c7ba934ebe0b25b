-- NFT state of an item as head office reports it in the pull (JSON: state, chain,
-- tx_hash, block_hash, error ...); NULL for items of products that do not mint.
ALTER TABLE items ADD COLUMN nft TEXT;
