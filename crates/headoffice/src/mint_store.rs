//! NFT mint state in the store: the queue rows written with every item of a
//! `mint_nft` product, the per-product collection, and the [`MintQueue`] boundary
//! the mint worker ([`crate::mint`]) uses. The SQLite implementation lives here.

use crate::db::{Connection, Dialect, OptionalExtension, Row};
use crate::params;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use wicket_domain::{Chain, Item, Product};

use crate::error::{Error, Result};
use crate::sql::SqlStore;
use crate::sql::rows::{now, to_i64};
use crate::store::StoreFuture;

/// NFT state of an item as shown in the item JSON (`nft`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct NftOut {
    /// none | pending | minted | failed
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collection_id: Option<u32>,
    /// Owner the item is (to be) minted to, in the chain's SS58 format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Hash of the `Nfts.mint` extrinsic (absent if the item was found already minted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tx_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_hash: Option<String>,
    /// Hash of the `Nfts.set_metadata` extrinsic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata_tx_hash: Option<String>,
    /// Failed attempts so far.
    #[serde(skip_serializing_if = "is_zero")]
    pub attempts: u32,
    /// Code of the last error (`insufficient_funds`, `chain_unreachable`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The reason of the last failure, or of the final failure when `failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl NftOut {
    /// The state of an item of a product that does not mint.
    pub fn none() -> Self {
        NftOut {
            state: "none".into(),
            ..NftOut::default()
        }
    }
}

/// Read the `nft_mints` columns that `ITEM_SELECT` appends (from its LEFT JOIN),
/// starting at column `at`: state, chain, collection_id, owner_address,
/// extrinsic_hash, block_hash, metadata_extrinsic_hash, attempts, last_error_code,
/// last_error.
pub(crate) fn nft_from_row(r: &Row, at: usize) -> Result<NftOut> {
    let state: Option<String> = r.get(at)?;
    let Some(state) = state else {
        return Ok(NftOut::none());
    };
    let collection: Option<i64> = r.get(at + 2)?;
    let attempts: i64 = r.get(at + 7)?;
    Ok(NftOut {
        state,
        chain: r.get(at + 1)?,
        collection_id: collection.and_then(|c| u32::try_from(c).ok()),
        owner: r.get(at + 3)?,
        tx_hash: r.get(at + 4)?,
        block_hash: r.get(at + 5)?,
        metadata_tx_hash: r.get(at + 6)?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        error_code: r.get(at + 8)?,
        error: r.get(at + 9)?,
    })
}

/// The `nft` of a freshly stored item of `product`.
pub(crate) fn initial_nft(product: &Product) -> NftOut {
    if product.mint_nft {
        NftOut {
            state: "pending".into(),
            chain: product.chain.map(|c| c.as_str().to_string()),
            ..NftOut::default()
        }
    } else {
        NftOut::none()
    }
}

/// Queue `items` for minting if `product` mints NFTs. Called by every path that
/// creates items, inside the transaction that inserts them.
pub(crate) fn enqueue(
    tx: &Connection,
    product: &Product,
    items: &[Item],
    at: i64,
    iso: &str,
) -> Result<()> {
    if !product.mint_nft || items.is_empty() {
        return Ok(());
    }
    let chain = product.chain.map(|c| c.as_str()).unwrap_or("");
    let mut st = tx.prepare_cached(
        "INSERT INTO nft_mints (item_uuid, product_id, item_id, chain, state, attempts, next_attempt_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5, ?6, ?6)",
    )?;
    for i in items {
        st.execute(params![
            i.id.to_string(),
            i.product_id.to_string(),
            to_i64(i.item_id),
            chain,
            at,
            iso
        ])?;
    }
    Ok(())
}

/// A queue row that is due for an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueMint {
    pub item: Uuid,
    pub product: Uuid,
    pub item_id: u64,
    pub metadata_uri: String,
    pub attempts: u32,
}

/// Transaction hashes of a finished mint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MintDone {
    pub collection_id: u32,
    pub owner: String,
    pub tx_hash: Option<String>,
    pub block_hash: Option<String>,
    pub metadata_tx_hash: Option<String>,
    pub metadata_block_hash: Option<String>,
}

/// Counts of queue rows by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NftCounts {
    pub pending: u64,
    pub minted: u64,
    pub failed: u64,
}

/// What the mint worker needs from storage.
pub trait MintQueue: Send + Sync + 'static {
    /// Up to `limit` pending rows of `chain` due at `now`, oldest first.
    fn due_mints(&self, chain: Chain, now: i64, limit: u32) -> StoreFuture<Vec<DueMint>>;
    /// The collection already created for `product`.
    fn collection_of(&self, product: Uuid) -> StoreFuture<Option<u32>>;
    /// Remember the collection created for `product`.
    fn save_collection(
        &self,
        product: Uuid,
        chain: Chain,
        collection: u32,
        extrinsic_hash: String,
        block_hash: String,
    ) -> StoreFuture<()>;
    fn mint_done(&self, item: Uuid, done: MintDone) -> StoreFuture<()>;
    /// Keep the row pending, count the attempt and schedule the next one.
    fn mint_retry(&self, item: Uuid, code: String, error: String, next_at: i64) -> StoreFuture<()>;
    /// Give up on the row: the error cannot go away by retrying.
    fn mint_failed(&self, item: Uuid, code: String, error: String) -> StoreFuture<()>;
    fn nft_counts(&self) -> StoreFuture<NftCounts>;
}

fn opt_u32(v: Option<i64>) -> Option<u32> {
    v.and_then(|n| u32::try_from(n).ok())
}

fn collection_of(conn: &Connection, product: Uuid) -> Result<Option<u32>> {
    let v: Option<i64> = conn
        .prepare_cached("SELECT collection_id FROM nft_collections WHERE product_id = ?1")?
        .query_row([product.to_string()], |r| r.get(0))
        .optional()?;
    Ok(opt_u32(v))
}

/// How long a process may work on the mints it claimed before another may take
/// them (it died, or lost the database).
pub const MINT_LEASE_SECS: i64 = 300;

/// PostgreSQL, several processes: lease up to `limit` due rows to `owner`. Claims
/// take turns (one locked row), rows of a product another process holds a live
/// lease on are left alone (so one product's collection is made once), rows
/// another claim is taking are skipped, and an expired lease is taken over.
fn claim_due(conn: &Connection, chain: Chain, now: i64, limit: u32, owner: &str) -> Result<()> {
    conn.rows(
        "SELECT id FROM mint_claim_lock WHERE id = 1 FOR UPDATE",
        Vec::new(),
    )?;
    conn.execute(
        "UPDATE nft_mints SET lease_owner = ?4, lease_until = ?5 WHERE item_uuid IN (
           SELECT item_uuid FROM nft_mints
            WHERE state = 'pending' AND chain = ?1 AND next_attempt_at <= ?2
              AND (lease_until IS NULL OR lease_until <= ?2 OR lease_owner = ?4)
              AND product_id NOT IN (
                  SELECT product_id FROM nft_mints
                   WHERE state = 'pending' AND lease_owner <> ?4 AND lease_until > ?2)
            ORDER BY next_attempt_at, created_at, item_id
            LIMIT ?3 FOR UPDATE SKIP LOCKED)",
        params![
            chain.as_str(),
            now,
            limit,
            owner,
            now.saturating_add(MINT_LEASE_SECS)
        ],
    )?;
    Ok(())
}

fn one_row(changed: usize, item: Uuid) -> Result<()> {
    if changed == 1 {
        Ok(())
    } else {
        Err(Error::NotFound(format!("mint queue row for item {item}")))
    }
}

impl MintQueue for SqlStore {
    fn due_mints(&self, chain: Chain, now: i64, limit: u32) -> StoreFuture<Vec<DueMint>> {
        let owner = self.instance().to_string();
        self.write(move |conn| {
            if conn.dialect() == Dialect::Postgres {
                claim_due(conn, chain, now, limit, &owner)?;
            }
            let mut st = conn.prepare_cached(&format!(
                "SELECT n.item_uuid, n.product_id, n.item_id, p.metadata_uri, n.attempts
                   FROM nft_mints n JOIN products p ON p.id = n.product_id
                  WHERE n.state = 'pending' AND n.chain = ?1 AND n.next_attempt_at <= ?2 {}
                  ORDER BY n.next_attempt_at, n.created_at, n.item_id
                  LIMIT ?3",
                match conn.dialect() {
                    Dialect::Sqlite => "",
                    Dialect::Postgres => "AND n.lease_owner = ?4",
                }
            ))?;
            let mut args = params![chain.as_str(), now, limit];
            if conn.dialect() == Dialect::Postgres {
                args.push(crate::db::Value::Text(owner.clone()));
            }
            let rows = st.query_map(args, |r| {
                let item: String = r.get(0)?;
                let product: String = r.get(1)?;
                let item_id: i64 = r.get(2)?;
                let uri: Option<String> = r.get(3)?;
                let attempts: i64 = r.get(4)?;
                Ok((item, product, item_id, uri, attempts))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (item, product, item_id, uri, attempts) = row?;
                out.push(DueMint {
                    item: Uuid::parse_str(&item)
                        .map_err(|e| Error::Storage(format!("bad item id in mint queue: {e}")))?,
                    product: Uuid::parse_str(&product).map_err(|e| {
                        Error::Storage(format!("bad product id in mint queue: {e}"))
                    })?,
                    item_id: u64::try_from(item_id)
                        .map_err(|_| Error::Storage("negative item id in mint queue".into()))?,
                    metadata_uri: uri.unwrap_or_default(),
                    attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                });
            }
            Ok(out)
        })
    }

    fn collection_of(&self, product: Uuid) -> StoreFuture<Option<u32>> {
        self.run(move |conn| collection_of(conn, product))
    }

    fn save_collection(
        &self,
        product: Uuid,
        chain: Chain,
        collection: u32,
        extrinsic_hash: String,
        block_hash: String,
    ) -> StoreFuture<()> {
        self.write(move |tx| {
            let (_, iso) = now();
            tx.execute(
                "INSERT INTO nft_collections (product_id, chain, collection_id, extrinsic_hash, block_hash, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    product.to_string(),
                    chain.as_str(),
                    collection,
                    extrinsic_hash,
                    block_hash,
                    iso
                ],
            )?;
            Ok(())
        })
    }

    fn mint_done(&self, item: Uuid, d: MintDone) -> StoreFuture<()> {
        self.write(move |tx| {
            let (at, iso) = now();
            let n = tx.execute(
                "UPDATE nft_mints SET state = 'minted', collection_id = ?2, owner_address = ?3,
                        extrinsic_hash = ?4, block_hash = ?5, metadata_extrinsic_hash = ?6,
                        metadata_block_hash = ?7, minted_at = ?8, last_error_code = NULL,
                        last_error = NULL, updated_at = ?9, lease_owner = NULL, lease_until = NULL
                  WHERE item_uuid = ?1",
                params![
                    item.to_string(),
                    d.collection_id,
                    d.owner,
                    d.tx_hash,
                    d.block_hash,
                    d.metadata_tx_hash,
                    d.metadata_block_hash,
                    at,
                    iso
                ],
            )?;
            one_row(n, item)
        })
    }

    fn mint_retry(&self, item: Uuid, code: String, error: String, next_at: i64) -> StoreFuture<()> {
        self.write(move |tx| {
            let (_, iso) = now();
            let n = tx.execute(
                "UPDATE nft_mints SET attempts = attempts + 1, last_error_code = ?2, last_error = ?3,
                        next_attempt_at = ?4, updated_at = ?5, lease_owner = NULL, lease_until = NULL
                  WHERE item_uuid = ?1 AND state = 'pending'",
                params![item.to_string(), code, error, next_at, iso],
            )?;
            one_row(n, item)
        })
    }

    fn mint_failed(&self, item: Uuid, code: String, error: String) -> StoreFuture<()> {
        self.write(move |tx| {
            let (_, iso) = now();
            let n = tx.execute(
                "UPDATE nft_mints SET state = 'failed', attempts = attempts + 1, last_error_code = ?2,
                        last_error = ?3, updated_at = ?4, lease_owner = NULL, lease_until = NULL
                  WHERE item_uuid = ?1 AND state = 'pending'",
                params![item.to_string(), code, error, iso],
            )?;
            one_row(n, item)
        })
    }

    fn nft_counts(&self) -> StoreFuture<NftCounts> {
        self.run(|conn| {
            let mut c = NftCounts::default();
            let mut st =
                conn.prepare_cached("SELECT state, COUNT(*) FROM nft_mints GROUP BY state")?;
            let rows = st.query_map((), |r| Ok((r.get::<String>(0)?, r.get::<i64>(1)?)))?;
            for row in rows {
                let (state, n) = row?;
                let n = u64::try_from(n).unwrap_or(0);
                match state.as_str() {
                    "pending" => c.pending = n,
                    "minted" => c.minted = n,
                    "failed" => c.failed = n,
                    _ => {}
                }
            }
            Ok(c)
        })
    }
}
