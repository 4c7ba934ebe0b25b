//! The mint worker: a tokio task that drains the NFT mint queue ([`MintQueue`])
//! through `wicket_chain`. It connects when the chain is reachable, creates each
//! product's collection on its first mint, mints items in order and records the
//! extrinsic and block hashes. Failures are retried with exponential backoff and
//! stay visible in the item JSON; only errors that retrying cannot fix mark an item
//! `failed`. Every mint first reads chain state, so a restart never mints twice.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use wicket_chain::{AccountId, ChainConfig, MintRequest, Minter};
use wicket_domain::Chain;

use crate::mint_store::{DueMint, MintDone, MintQueue};

/// Configuration of the worker. The secret is held only in memory and never logged.
#[derive(Clone)]
pub struct MintWorkerConfig {
    /// Endpoint and token of the chain served.
    pub chain: ChainConfig,
    /// Which products this endpoint serves (their `chain`).
    pub serves: Chain,
    /// The wallet secret (secret URI or mnemonic).
    pub secret: String,
    /// Where items go when the owner has no wallet address; default: the wallet itself.
    pub custody_address: Option<String>,
    /// Pause when the queue is empty.
    pub poll: Duration,
    /// First retry delay; doubles per failed attempt up to `backoff_max`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Rows fetched per round.
    pub batch: u32,
    /// Items minted per `Utility.batch_all` transaction (1: one `mint` and one
    /// `set_metadata` transaction per item).
    pub per_tx: usize,
}

impl std::fmt::Debug for MintWorkerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MintWorkerConfig")
            .field("chain", &self.chain)
            .field("serves", &self.serves)
            .field("secret", &"<redacted>")
            .field("custody_address", &self.custody_address)
            .finish()
    }
}

impl MintWorkerConfig {
    /// Defaults for everything but the endpoint, chain and secret.
    pub fn new(chain: ChainConfig, serves: Chain, secret: String) -> Self {
        MintWorkerConfig {
            chain,
            serves,
            secret,
            custody_address: None,
            poll: Duration::from_secs(1),
            backoff_base: Duration::from_secs(2),
            backoff_max: Duration::from_secs(300),
            batch: 50,
            per_tx: 10,
        }
    }
}

/// The chain configuration preset for a product chain at `url`.
pub fn chain_preset(chain: Chain, url: &str) -> ChainConfig {
    match chain {
        Chain::AssetHub => ChainConfig::polkadot_asset_hub(url),
        Chain::WestendAssetHub => ChainConfig::westend_asset_hub(url),
    }
}

/// Delay before attempt number `attempts + 1` after `attempts` failures.
pub fn backoff(base: Duration, max: Duration, attempts: u32) -> Duration {
    let factor = 1u32
        .checked_shl(attempts.saturating_sub(1))
        .unwrap_or(u32::MAX);
    base.saturating_mul(factor).min(max)
}

/// Validate the configuration (secret, custody address) and start the worker.
/// It stops when `shutdown` becomes `true`.
pub fn spawn(
    queue: Arc<dyn MintQueue>,
    cfg: MintWorkerConfig,
    shutdown: watch::Receiver<bool>,
) -> Result<JoinHandle<()>, wicket_chain::Error> {
    let signer = wicket_chain::keypair_from_secret(&cfg.secret)?;
    let custody = match &cfg.custody_address {
        Some(a) => wicket_chain::parse_address(a)?,
        None => signer.public_key().to_account_id(),
    };
    let worker = Worker {
        queue,
        cfg,
        signer,
        custody,
        minter: None,
        shutdown,
    };
    Ok(tokio::spawn(worker.run()))
}

struct Worker {
    queue: Arc<dyn MintQueue>,
    cfg: MintWorkerConfig,
    signer: wicket_chain::Keypair,
    custody: AccountId,
    minter: Option<Minter>,
    shutdown: watch::Receiver<bool>,
}

impl Worker {
    /// Sleep for `d` unless shutdown comes first; returns false on shutdown.
    async fn pause(&mut self, d: Duration) -> bool {
        if *self.shutdown.borrow() {
            return false;
        }
        let sender_gone = tokio::select! {
            _ = tokio::time::sleep(d) => false,
            r = self.shutdown.changed() => r.is_err(),
        };
        !sender_gone && !*self.shutdown.borrow()
    }

    async fn run(mut self) {
        tracing::info!(url = %self.cfg.chain.url, serves = self.cfg.serves.as_str(), "mint worker started");
        let mut reconnect_failures: u32 = 0;
        loop {
            if *self.shutdown.borrow() {
                break;
            }
            let due = match self
                .queue
                .due_mints(self.cfg.serves, crate::sync::unix_now(), self.cfg.batch)
                .await
            {
                Ok(d) => d,
                Err(e) => {
                    tracing::error!(error = %e, "mint worker cannot read the queue");
                    if !self.pause(self.cfg.poll).await {
                        break;
                    }
                    continue;
                }
            };
            if due.is_empty() {
                if !self.pause(self.cfg.poll).await {
                    break;
                }
                continue;
            }
            if self.minter.is_none() {
                match Minter::connect(self.cfg.chain.clone(), self.signer.clone()).await {
                    Ok(m) => {
                        reconnect_failures = 0;
                        self.minter = Some(m);
                    }
                    Err(e) => {
                        reconnect_failures = reconnect_failures.saturating_add(1);
                        tracing::warn!(code = e.code(), error = %e, "chain unreachable; items stay pending");
                        for d in &due {
                            self.retry(d, &e).await;
                        }
                        let wait = backoff(
                            self.cfg.backoff_base,
                            self.cfg.backoff_max,
                            reconnect_failures,
                        );
                        if !self.pause(wait).await {
                            break;
                        }
                        continue;
                    }
                }
            }
            let mut start = 0;
            'groups: while start < due.len() {
                if *self.shutdown.borrow() {
                    break;
                }
                // Consecutive rows of one product, up to `per_tx` items per transaction.
                let product = due[start].product;
                let mut end = start + 1;
                while end < due.len()
                    && end - start < self.cfg.per_tx.max(1)
                    && due[end].product == product
                {
                    end += 1;
                }
                let group = &due[start..end];
                start = end;
                let results = match self.mint_group(group).await {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::warn!(code = e.code(), error = %e, items = group.len(), "mint attempt failed; will retry");
                        let funds = matches!(e, wicket_chain::Error::InsufficientFunds { .. });
                        // Funding is the same answer for every row: show it on all.
                        for d in if funds { &due[..] } else { group } {
                            self.retry(d, &e).await;
                        }
                        if e.needs_reconnect() {
                            self.minter = None;
                        }
                        if funds || e.needs_reconnect() {
                            break 'groups;
                        }
                        continue;
                    }
                };
                for (d, result) in group.iter().zip(results) {
                    match result {
                        Ok(done) => {
                            tracing::info!(item = %d.item, item_id = d.item_id, collection = done.collection_id, tx = ?done.tx_hash, "item minted");
                            if let Err(e) = self.queue.mint_done(d.item, done).await {
                                tracing::error!(item = %d.item, error = %e, "minted but could not record it; a retry will find it on chain");
                            }
                        }
                        Err(e) if e.is_permanent() => {
                            tracing::error!(item = %d.item, code = e.code(), error = %e, "mint failed for good");
                            if let Err(se) = self
                                .queue
                                .mint_failed(d.item, e.code().to_string(), e.to_string())
                                .await
                            {
                                tracing::error!(item = %d.item, error = %se, "could not record mint failure");
                            }
                        }
                        Err(e) => {
                            tracing::warn!(item = %d.item, code = e.code(), error = %e, attempts = d.attempts + 1, "mint attempt failed; will retry");
                            self.retry(d, &e).await;
                            if e.needs_reconnect() {
                                self.minter = None;
                                break 'groups;
                            }
                        }
                    }
                }
            }
        }
        tracing::info!("mint worker stopped");
    }

    async fn retry(&self, d: &DueMint, e: &wicket_chain::Error) {
        let attempts = d.attempts.saturating_add(1);
        let wait = backoff(self.cfg.backoff_base, self.cfg.backoff_max, attempts);
        let next = crate::sync::unix_now()
            .saturating_add(i64::try_from(wait.as_secs()).unwrap_or(i64::MAX));
        if let Err(se) = self
            .queue
            .mint_retry(d.item, e.code().to_string(), e.to_string(), next)
            .await
        {
            tracing::error!(item = %d.item, error = %se, "could not record mint retry");
        }
    }

    /// The product's collection, created (and recorded) on its first mint.
    async fn collection(
        &self,
        minter: &Minter,
        product: uuid::Uuid,
    ) -> Result<u32, wicket_chain::Error> {
        match self.queue.collection_of(product).await {
            Ok(Some(c)) => Ok(c),
            Ok(None) => {
                let (c, tx) = minter.create_collection().await?;
                match self
                    .queue
                    .save_collection(
                        product,
                        self.cfg.serves,
                        c,
                        tx.extrinsic_hash,
                        tx.block_hash,
                    )
                    .await
                {
                    Ok(()) => Ok(c),
                    // Without the id stored the next attempt would create another one.
                    Err(e) => Err(wicket_chain::Error::Rpc(format!(
                        "collection {c} created but not recorded: {e}"
                    ))),
                }
            }
            Err(e) => Err(wicket_chain::Error::Rpc(format!("store: {e}"))),
        }
    }

    /// Mint a group of rows of one product: in one batch transaction when there
    /// are several, falling back to one by one when the batch is refused (to
    /// isolate a bad row). `Err` means the whole group is to be retried.
    async fn mint_group(
        &self,
        group: &[DueMint],
    ) -> Result<Vec<Result<MintDone, wicket_chain::Error>>, wicket_chain::Error> {
        let Some(minter) = self.minter.as_ref() else {
            return Err(wicket_chain::Error::Unreachable {
                url: self.cfg.chain.url.clone(),
                reason: "not connected".into(),
            });
        };
        let Some(first) = group.first() else {
            return Ok(Vec::new());
        };
        let collection = self.collection(minter, first.product).await?;
        let reqs: Vec<MintRequest> = group
            .iter()
            .map(|d| MintRequest {
                collection,
                item: d.item_id,
                owner: self.custody,
                metadata: d.metadata_uri.as_bytes().to_vec(),
            })
            .collect();
        let owner = minter.address_of(&self.custody);
        let done = |r: wicket_chain::MintReceipt| MintDone {
            collection_id: collection,
            owner: owner.clone(),
            tx_hash: r.mint.as_ref().map(|t| t.extrinsic_hash.clone()),
            block_hash: r.mint.as_ref().map(|t| t.block_hash.clone()),
            metadata_tx_hash: r.metadata.as_ref().map(|t| t.extrinsic_hash.clone()),
            metadata_block_hash: r.metadata.map(|t| t.block_hash),
        };
        if reqs.len() > 1 {
            match minter.mint_many(&reqs).await {
                Ok(receipts) => return Ok(receipts.into_iter().map(|r| Ok(done(r))).collect()),
                Err(e)
                    if e.needs_reconnect()
                        || matches!(e, wicket_chain::Error::InsufficientFunds { .. }) =>
                {
                    return Err(e);
                }
                Err(e) => {
                    tracing::warn!(code = e.code(), error = %e, "batch refused; minting one by one");
                }
            }
        }
        let mut out = Vec::with_capacity(reqs.len());
        for req in &reqs {
            let r = minter.mint(req).await;
            let stop = matches!(&r, Err(e) if e.needs_reconnect()
                || matches!(e, wicket_chain::Error::InsufficientFunds { .. }));
            match r {
                // Nothing done yet: the whole group waits.
                Err(e) if stop && out.is_empty() => return Err(e),
                r => out.push(r.map(&done)),
            }
            if stop {
                break;
            }
        }
        // Rows after a stop are left as they are (still pending, due again).
        Ok(out)
    }
}

/// Command-line and environment settings of the mint worker (`serve`).
#[derive(Debug, Clone, clap::Args)]
pub struct MintArgs {
    /// Chain endpoint; the mint worker runs only when this is set.
    #[arg(long, env = "WICKET_CHAIN_URL")]
    pub chain_url: Option<String>,
    /// Product chain served by that endpoint: AssetHub or WestendAssetHub.
    #[arg(
        long = "chain",
        env = "WICKET_CHAIN",
        default_value = "WestendAssetHub"
    )]
    pub chain: String,
    /// Override the native token symbol of the preset.
    #[arg(long, env = "WICKET_CHAIN_SYMBOL")]
    pub chain_symbol: Option<String>,
    /// Override the native token decimals of the preset.
    #[arg(long, env = "WICKET_CHAIN_DECIMALS")]
    pub chain_decimals: Option<u8>,
    /// Override the SS58 prefix of the preset.
    #[arg(long, env = "WICKET_CHAIN_SS58")]
    pub chain_ss58: Option<u16>,
    /// File holding the wallet secret (secret URI or mnemonic). Alternatively set
    /// WICKET_WALLET_SECRET; the secret is never accepted as an argument.
    #[arg(long, env = "WICKET_WALLET_SECRET_FILE")]
    pub wallet_secret_file: Option<std::path::PathBuf>,
    /// SS58 address receiving items whose owner has no wallet (default: the wallet).
    #[arg(long, env = "WICKET_CUSTODY_ADDRESS")]
    pub custody_address: Option<String>,
    /// Queue poll interval when idle, in milliseconds.
    #[arg(long, env = "WICKET_MINT_POLL_MS", default_value_t = 1000)]
    pub mint_poll_ms: u64,
    /// First retry delay in seconds (doubles per failure).
    #[arg(long, env = "WICKET_MINT_BACKOFF_BASE_SECS", default_value_t = 2)]
    pub mint_backoff_base_secs: u64,
    /// Longest retry delay in seconds.
    #[arg(long, env = "WICKET_MINT_BACKOFF_MAX_SECS", default_value_t = 300)]
    pub mint_backoff_max_secs: u64,
    /// Items per Utility.batch_all transaction (1 = a mint and a set_metadata
    /// transaction per item).
    #[arg(long, env = "WICKET_MINT_PER_TX", default_value_t = 10)]
    pub mint_per_tx: usize,
}

impl MintArgs {
    /// The worker configuration, or `None` when no chain endpoint is configured.
    pub fn into_config(self) -> anyhow::Result<Option<MintWorkerConfig>> {
        use anyhow::Context;
        let Some(url) = self.chain_url else {
            return Ok(None);
        };
        let serves = Chain::parse(&self.chain).with_context(|| {
            format!(
                "unknown chain {:?} (AssetHub or WestendAssetHub)",
                self.chain
            )
        })?;
        let secret = match (
            &self.wallet_secret_file,
            std::env::var("WICKET_WALLET_SECRET"),
        ) {
            (Some(path), _) => std::fs::read_to_string(path)
                .with_context(|| format!("reading wallet secret file {}", path.display()))?,
            (None, Ok(s)) => s,
            (None, Err(_)) => anyhow::bail!(
                "--chain-url is set but no wallet secret: use --wallet-secret-file or WICKET_WALLET_SECRET"
            ),
        };
        let secret = secret.trim().to_string();
        let mut chain = chain_preset(serves, &url);
        if let Some(s) = self.chain_symbol {
            chain.symbol = s;
        }
        if let Some(d) = self.chain_decimals {
            chain.decimals = d;
        }
        if let Some(p) = self.chain_ss58 {
            chain.ss58_prefix = p;
        }
        let mut cfg = MintWorkerConfig::new(chain, serves, secret);
        cfg.custody_address = self.custody_address;
        cfg.poll = Duration::from_millis(self.mint_poll_ms.max(10));
        cfg.backoff_base = Duration::from_secs(self.mint_backoff_base_secs.max(1));
        cfg.backoff_max = Duration::from_secs(self.mint_backoff_max_secs.max(1));
        cfg.per_tx = self.mint_per_tx.clamp(1, 100);
        Ok(Some(cfg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let b = Duration::from_secs(2);
        let m = Duration::from_secs(60);
        assert_eq!(backoff(b, m, 1), Duration::from_secs(2));
        assert_eq!(backoff(b, m, 2), Duration::from_secs(4));
        assert_eq!(backoff(b, m, 5), Duration::from_secs(32));
        assert_eq!(backoff(b, m, 6), Duration::from_secs(60));
        assert_eq!(backoff(b, m, 100), Duration::from_secs(60));
    }
}
