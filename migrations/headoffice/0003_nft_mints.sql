-- NFT minting state (mint worker). One collection per product and one queue row
-- per item of a mint_nft product, written in the same transaction as the item.

CREATE TABLE nft_collections (
    product_id     TEXT PRIMARY KEY REFERENCES products(id),
    chain          TEXT NOT NULL,
    collection_id  INTEGER NOT NULL,
    extrinsic_hash TEXT NOT NULL,
    block_hash     TEXT NOT NULL,
    created_at     TEXT NOT NULL
);

CREATE TABLE nft_mints (
    item_uuid               TEXT PRIMARY KEY REFERENCES items(id),
    product_id              TEXT NOT NULL REFERENCES products(id),
    item_id                 INTEGER NOT NULL,
    chain                   TEXT NOT NULL,
    state                   TEXT NOT NULL CHECK (state IN ('pending', 'minted', 'failed')),
    attempts                INTEGER NOT NULL DEFAULT 0,
    next_attempt_at         INTEGER NOT NULL,          -- Unix seconds
    last_error_code         TEXT,
    last_error              TEXT,
    collection_id           INTEGER,
    owner_address           TEXT,
    extrinsic_hash          TEXT,                      -- Nfts.mint; NULL if found already on chain
    block_hash              TEXT,
    metadata_extrinsic_hash TEXT,                      -- Nfts.set_metadata
    metadata_block_hash     TEXT,
    minted_at               INTEGER,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL
);
CREATE INDEX nft_mints_due ON nft_mints(state, chain, next_attempt_at);
