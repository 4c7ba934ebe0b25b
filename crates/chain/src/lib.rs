//! Wicket chain access: mint one NFT per issued item on an Asset Hub runtime.
//!
//! [`Minter`] wraps a subxt client and the project wallet (an sr25519 key). It
//! checks that the wallet holds the configured minimum of the native token,
//! creates one `Nfts` collection per product, mints each item under its Wicket
//! `item_id` and sets the item metadata to the product's `metadata_uri`. Every step
//! reads chain state first, so repeating a request after a crash or a lost reply
//! never mints twice. Calls are built with subxt's dynamic API from the metadata
//! the node serves, so call indices and types are never hard-coded.
#![forbid(unsafe_code)]

mod config;
mod decode;
pub mod devchain;
mod error;

use std::future::Future;
use std::str::FromStr;

use subxt::dynamic::{self, Value};
use subxt::utils::{AccountId32, MultiAddress};
use subxt::{OnlineClient, PolkadotConfig};
use subxt_signer::SecretUri;

use crate::decode::{AccountInfo, CollectionDetails, ItemDetails, ItemMetadata};

pub use config::{ChainConfig, ss58_encode};
pub use error::{Error, Result};
pub use subxt_signer::sr25519::Keypair;

/// A 32-byte account id.
pub type AccountId = AccountId32;

/// Where a submitted transaction ended up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxRef {
    /// `0x`-prefixed extrinsic hash.
    pub extrinsic_hash: String,
    /// `0x`-prefixed hash of the (finalized) block that includes it.
    pub block_hash: String,
}

/// What [`Minter::mint`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintReceipt {
    /// The `Nfts.mint` transaction, or `None` when the item was already on chain.
    pub mint: Option<TxRef>,
    /// The `Nfts.set_metadata` transaction, or `None` when the metadata was already set.
    pub metadata: Option<TxRef>,
}

/// One mint request.
#[derive(Debug, Clone)]
pub struct MintRequest {
    pub collection: u32,
    pub item: u64,
    pub owner: AccountId,
    pub metadata: Vec<u8>,
}

/// Parse the wallet secret: a secret URI (`//Alice`, `<mnemonic>//hard/soft`,
/// `0x<seed>`) or a bare BIP-39 mnemonic. Errors never echo the secret.
pub fn keypair_from_secret(secret: &str) -> Result<Keypair> {
    let uri = SecretUri::from_str(secret.trim()).map_err(|_| Error::InvalidSecret)?;
    Keypair::from_uri(&uri).map_err(|_| Error::InvalidSecret)
}

/// Parse an SS58 address of any prefix.
pub fn parse_address(address: &str) -> Result<AccountId> {
    AccountId32::from_str(address.trim()).map_err(|e| Error::InvalidAddress {
        address: address.to_string(),
        reason: e.to_string(),
    })
}

fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// A connected client plus the project wallet.
pub struct Minter {
    api: OnlineClient<PolkadotConfig>,
    signer: Keypair,
    config: ChainConfig,
}

impl std::fmt::Debug for Minter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The keypair is deliberately left out.
        f.debug_struct("Minter")
            .field("url", &self.config.url)
            .field("wallet", &self.wallet_address())
            .finish()
    }
}

impl Minter {
    /// Connect to `config.url` and download the runtime metadata.
    pub async fn connect(config: ChainConfig, signer: Keypair) -> Result<Minter> {
        let url = config.url.clone();
        let unreachable = |reason: String| Error::Unreachable {
            url: url.clone(),
            reason,
        };
        // The legacy JSON-RPC methods (author_submitAndWatchExtrinsic...) on purpose:
        // subxt's default backend picks the newer chainHead/transactionWatch methods
        // when a node lists them, and chopsticks restarted on a saved block database
        // lists methods it then refuses ("Method not found"). Every Asset Hub node
        // still serves the legacy set.
        let connecting = async {
            let rpc = if url.starts_with("ws://") || url.starts_with("http://") {
                subxt::rpcs::RpcClient::from_insecure_url(&url).await
            } else {
                subxt::rpcs::RpcClient::from_url(&url).await
            }
            .map_err(|e| e.to_string())?;
            let backend = subxt::backend::LegacyBackend::<PolkadotConfig>::builder().build(rpc);
            OnlineClient::<PolkadotConfig>::from_backend(std::sync::Arc::new(backend))
                .await
                .map_err(|e| e.to_string())
        };
        let api = tokio::time::timeout(config.timeout, connecting)
            .await
            .map_err(|_| unreachable("timed out".into()))?
            .map_err(unreachable)?;
        let minter = Minter {
            api,
            signer,
            config,
        };
        tracing::info!(url = %minter.config.url, wallet = %minter.wallet_address(), "connected to chain");
        Ok(minter)
    }

    /// The configuration in use.
    pub fn config(&self) -> &ChainConfig {
        &self.config
    }

    /// The project wallet's account id.
    pub fn wallet(&self) -> AccountId {
        self.signer.public_key().to_account_id()
    }

    /// The project wallet in this chain's SS58 format.
    pub fn wallet_address(&self) -> String {
        ss58_encode(&self.wallet().0, self.config.ss58_prefix)
    }

    /// Format any account in this chain's SS58 format.
    pub fn address_of(&self, account: &AccountId) -> String {
        ss58_encode(&account.0, self.config.ss58_prefix)
    }

    async fn timed<T>(&self, doing: &'static str, f: impl Future<Output = Result<T>>) -> Result<T> {
        tokio::time::timeout(self.config.timeout, f)
            .await
            .map_err(|_| Error::Timeout {
                seconds: self.config.timeout.as_secs(),
                doing,
            })?
    }

    /// Fetch an optional storage value at the current best block.
    async fn fetch<K, V>(&self, pallet: &str, entry: &str, keys: K) -> Result<Option<V>>
    where
        K: subxt::ext::frame_decode::storage::IntoEncodableValues
            + subxt::ext::frame_decode::storage::IntoDecodableValues
            + Send,
        V: subxt::ext::scale_decode::DecodeAsType + Send,
    {
        self.timed("reading storage", async {
            let at = self.api.at_current_block().await.map_err(error::rpc)?;
            let addr = dynamic::storage::<K, V>(pallet, entry);
            let entry = at.storage().entry(addr).map_err(error::rpc)?;
            match entry.try_fetch(keys).await.map_err(error::rpc)? {
                Some(v) => Ok(Some(v.decode().map_err(error::rpc)?)),
                None => Ok(None),
            }
        })
        .await
    }

    /// Free balance of `account` in planck.
    pub async fn free_balance(&self, account: &AccountId) -> Result<u128> {
        let info: Option<AccountInfo> = self.fetch("System", "Account", (account.0,)).await?;
        Ok(info.map(|i| i.data.free).unwrap_or(0))
    }

    /// Transactions sent so far by `account` (its nonce).
    pub async fn nonce(&self, account: &AccountId) -> Result<u64> {
        let info: Option<AccountInfo> = self.fetch("System", "Account", (account.0,)).await?;
        Ok(info.map(|i| i.nonce).unwrap_or(0))
    }

    /// Refuse unless the wallet holds at least the configured minimum.
    pub async fn check_funds(&self) -> Result<u128> {
        let free = self.free_balance(&self.wallet()).await?;
        let min = self.config.min_balance();
        if free < min {
            return Err(Error::InsufficientFunds {
                wallet: self.wallet_address(),
                holds: self.config.format_amount(free),
                needs: self.config.format_amount(min),
                symbol: self.config.symbol.clone(),
            });
        }
        Ok(free)
    }

    /// The id the next `Nfts.create` will get.
    pub async fn next_collection_id(&self) -> Result<u32> {
        Ok(self
            .fetch::<(), u32>("Nfts", "NextCollectionId", ())
            .await?
            .unwrap_or(0))
    }

    /// The owner of `collection`, if it exists.
    pub async fn collection_owner(&self, collection: u32) -> Result<Option<AccountId>> {
        let d: Option<CollectionDetails> = self.fetch("Nfts", "Collection", (collection,)).await?;
        Ok(d.map(|d| d.owner))
    }

    /// The owner of an item, if it has been minted.
    pub async fn item_owner(&self, collection: u32, item: u32) -> Result<Option<AccountId>> {
        let d: Option<ItemDetails> = self.fetch("Nfts", "Item", (collection, item)).await?;
        Ok(d.map(|d| d.owner))
    }

    /// The metadata bytes of an item, if set.
    pub async fn item_metadata(&self, collection: u32, item: u32) -> Result<Option<Vec<u8>>> {
        let m: Option<ItemMetadata> = self
            .fetch("Nfts", "ItemMetadataOf", (collection, item))
            .await?;
        Ok(m.map(|m| m.data))
    }

    /// Sign, submit and wait for finalization and success of one call.
    async fn submit<C>(
        &self,
        call: &'static str,
        payload: subxt::tx::DynamicPayload<C>,
    ) -> Result<(TxRef, subxt::extrinsics::ExtrinsicEvents<PolkadotConfig>)>
    where
        C: subxt::ext::scale_encode::EncodeAsFields + Send + Sync,
    {
        self.timed("submitting a transaction", async {
            let at = self.api.at_current_block().await.map_err(error::rpc)?;
            let mut txs = at.transactions();
            let progress = txs
                .sign_and_submit_then_watch_default(&payload, &self.signer)
                .await
                .map_err(|e| classify_submit(call, e.into()))?;
            let in_block = progress
                .wait_for_finalized()
                .await
                .map_err(|e| Error::NotIncluded {
                    call,
                    reason: e.to_string(),
                })?;
            let tx = TxRef {
                extrinsic_hash: hex0x(in_block.extrinsic_hash().as_ref()),
                block_hash: hex0x(in_block.block_hash().as_ref()),
            };
            let events = in_block.wait_for_success().await.map_err(|e| match e {
                subxt::error::TransactionEventsError::ExtrinsicFailed(d) => Error::ExtrinsicFailed {
                    call,
                    reason: d.to_string(),
                },
                other => error::rpc(other),
            })?;
            tracing::info!(call, extrinsic = %tx.extrinsic_hash, block = %tx.block_hash, "transaction finalized");
            Ok((tx, events))
        })
        .await
    }

    /// Create a collection administered by the wallet; returns its id.
    pub async fn create_collection(&self) -> Result<(u32, TxRef)> {
        self.check_funds().await?;
        let expected = self.next_collection_id().await?;
        let none = || Value::unnamed_variant("None", []);
        let config = Value::named_composite([
            // Bit flags of *disabled* settings: 0 keeps everything enabled.
            ("settings", Value::u128(0)),
            ("max_supply", none()),
            (
                "mint_settings",
                Value::named_composite([
                    ("mint_type", Value::unnamed_variant("Issuer", [])),
                    ("price", none()),
                    ("start_block", none()),
                    ("end_block", none()),
                    ("default_item_settings", Value::u128(0)),
                ]),
            ),
        ]);
        let admin: MultiAddress<AccountId32, ()> = MultiAddress::Id(self.wallet());
        let payload = dynamic::tx("Nfts", "create", (admin, config));
        let (tx, events) = self.submit("Nfts.create", payload).await?;
        let mut created = None;
        for ev in events.iter() {
            let ev = ev.map_err(error::rpc)?;
            if ev.pallet_name() == "Nfts" && ev.event_name() == "Created" {
                // The first field is the CollectionId, a fixed-width little-endian u32.
                let bytes = ev.field_bytes();
                if let Some(id) = bytes.get(..4).and_then(|b| <[u8; 4]>::try_from(b).ok()) {
                    created = Some(u32::from_le_bytes(id));
                }
            }
        }
        let id = created.ok_or(Error::CollectionEventMissing)?;
        if id != expected {
            tracing::warn!(
                expected,
                got = id,
                "collection id differs from NextCollectionId read before submitting"
            );
        }
        tracing::info!(collection = id, extrinsic = %tx.extrinsic_hash, "collection created");
        Ok((id, tx))
    }

    /// Mint `req.item` into `req.collection` for `req.owner` and set its metadata.
    /// Steps already visible on chain are skipped, so the call is idempotent.
    pub async fn mint(&self, req: &MintRequest) -> Result<MintReceipt> {
        let item = u32::try_from(req.item).map_err(|_| Error::ItemIdOutOfRange(req.item))?;
        let collection = req.collection;
        let limit = self.string_limit().await?;
        if req.metadata.len() > limit as usize {
            return Err(Error::MetadataTooLong {
                len: req.metadata.len(),
                limit,
            });
        }
        match self.collection_owner(collection).await? {
            Some(owner) if owner == self.wallet() => {}
            _ => return Err(Error::ForeignCollection { collection }),
        }
        let mut receipt = MintReceipt {
            mint: None,
            metadata: None,
        };
        match self.item_owner(collection, item).await? {
            Some(_) => {
                tracing::info!(collection, item, "item already on chain; not minting again");
            }
            None => {
                self.check_funds().await?;
                let to: MultiAddress<AccountId32, ()> = MultiAddress::Id(req.owner);
                let witness: Option<()> = None;
                let payload = dynamic::tx("Nfts", "mint", (collection, item, to, witness));
                let (tx, _) = self.submit("Nfts.mint", payload).await?;
                receipt.mint = Some(tx);
            }
        }
        let current = self.item_metadata(collection, item).await?;
        if current.as_deref() == Some(req.metadata.as_slice()) {
            tracing::info!(collection, item, "item metadata already set");
        } else {
            self.check_funds().await?;
            let payload = dynamic::tx(
                "Nfts",
                "set_metadata",
                (collection, item, Value::from_bytes(&req.metadata)),
            );
            let (tx, _) = self.submit("Nfts.set_metadata", payload).await?;
            receipt.metadata = Some(tx);
        }
        Ok(receipt)
    }

    /// Mint several items in one `Utility.batch_all` transaction (one block
    /// instead of two per item). Steps already on chain are left out, as in
    /// [`Minter::mint`]; the batch is all-or-nothing, so on any error nothing of it
    /// is on chain and the caller can fall back to [`Minter::mint`] per item to
    /// isolate a bad request.
    pub async fn mint_many(&self, reqs: &[MintRequest]) -> Result<Vec<MintReceipt>> {
        let limit = self.string_limit().await?;
        let mut owners: Vec<(u32, AccountId)> = Vec::new();
        let mut calls = Vec::new();
        let mut plan = Vec::with_capacity(reqs.len());
        for req in reqs {
            let item = u32::try_from(req.item).map_err(|_| Error::ItemIdOutOfRange(req.item))?;
            let collection = req.collection;
            if req.metadata.len() > limit as usize {
                return Err(Error::MetadataTooLong {
                    len: req.metadata.len(),
                    limit,
                });
            }
            if !owners.iter().any(|(c, _)| *c == collection) {
                match self.collection_owner(collection).await? {
                    Some(owner) if owner == self.wallet() => owners.push((collection, owner)),
                    _ => return Err(Error::ForeignCollection { collection }),
                }
            }
            let mint = self.item_owner(collection, item).await?.is_none();
            let meta = self.item_metadata(collection, item).await?.as_deref()
                != Some(req.metadata.as_slice());
            let nfts = |name: &str, fields: Vec<(&str, Value)>| {
                Value::unnamed_variant("Nfts", [Value::named_variant(name, fields)])
            };
            if mint {
                calls.push(nfts(
                    "mint",
                    vec![
                        ("collection", Value::u128(collection.into())),
                        ("item", Value::u128(item.into())),
                        (
                            "mint_to",
                            Value::unnamed_variant("Id", [Value::from_bytes(req.owner.0)]),
                        ),
                        ("witness_data", Value::unnamed_variant("None", [])),
                    ],
                ));
            }
            if meta {
                calls.push(nfts(
                    "set_metadata",
                    vec![
                        ("collection", Value::u128(collection.into())),
                        ("item", Value::u128(item.into())),
                        ("data", Value::from_bytes(&req.metadata)),
                    ],
                ));
            }
            plan.push((mint, meta));
        }
        if calls.is_empty() {
            return Ok(plan
                .iter()
                .map(|_| MintReceipt {
                    mint: None,
                    metadata: None,
                })
                .collect());
        }
        self.check_funds().await?;
        let payload = dynamic::tx("Utility", "batch_all", (Value::unnamed_composite(calls),));
        let (tx, _) = self.submit("Utility.batch_all", payload).await?;
        Ok(plan
            .into_iter()
            .map(|(mint, meta)| MintReceipt {
                mint: mint.then(|| tx.clone()),
                metadata: meta.then(|| tx.clone()),
            })
            .collect())
    }

    /// `Nfts.StringLimit`, the longest metadata the runtime accepts.
    pub async fn string_limit(&self) -> Result<u32> {
        self.timed("reading a constant", async {
            let at = self.api.at_current_block().await.map_err(error::rpc)?;
            let addr = dynamic::constant::<u32>("Nfts", "StringLimit");
            at.constants().entry(addr).map_err(error::rpc)
        })
        .await
    }
}

fn classify_submit(call: &'static str, e: subxt::Error) -> Error {
    let reason = e.to_string();
    // The pool answers invalid transactions (bad nonce, cannot pay fees, ...) with
    // a JSON-RPC error; a dropped socket shows as a transport error.
    if reason.contains("Invalid Transaction") || reason.contains("1010") {
        Error::NotIncluded { call, reason }
    } else {
        Error::Rpc(reason)
    }
}
