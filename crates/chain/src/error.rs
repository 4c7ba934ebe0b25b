//! Typed errors of the chain crate, each with a stable snake_case code.

/// Everything that can go wrong talking to a chain.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The wallet secret could not be parsed. The secret itself is never included.
    #[error("the wallet secret is not a valid secret URI or mnemonic")]
    InvalidSecret,
    /// An owner address is not valid SS58.
    #[error("invalid account address {address:?}: {reason}")]
    InvalidAddress { address: String, reason: String },
    /// The endpoint could not be reached or the connection broke.
    #[error("chain endpoint {url} unreachable: {reason}")]
    Unreachable { url: String, reason: String },
    /// Any other RPC, encoding or decoding failure reported by subxt.
    #[error("chain request failed: {0}")]
    Rpc(String),
    /// A call did not finish in time (chain stalled or connection half-open).
    #[error("chain did not answer within {seconds} s while {doing}")]
    Timeout { seconds: u64, doing: &'static str },
    /// The project wallet holds less than the configured minimum.
    #[error("wallet {wallet} holds {holds} {symbol}, needs {needs}")]
    InsufficientFunds {
        wallet: String,
        holds: String,
        needs: String,
        symbol: String,
    },
    /// The extrinsic was included but the runtime rejected it.
    #[error("extrinsic {call} failed on chain: {reason}")]
    ExtrinsicFailed { call: &'static str, reason: String },
    /// The transaction pool refused or dropped the transaction.
    #[error("transaction {call} was not included: {reason}")]
    NotIncluded { call: &'static str, reason: String },
    /// `Nfts.create` succeeded but no `Nfts.Created` event named the collection.
    #[error("collection creation emitted no Nfts.Created event")]
    CollectionEventMissing,
    /// The Wicket item id does not fit the chain's `u32` item id.
    #[error("item id {0} does not fit the chain's 32-bit item ids")]
    ItemIdOutOfRange(u64),
    /// The metadata is longer than the runtime's `Nfts.StringLimit`.
    #[error("metadata is {len} bytes, the chain accepts at most {limit}")]
    MetadataTooLong { len: usize, limit: u32 },
    /// The collection exists but is not administered by the project wallet.
    #[error("collection {collection} is not owned by the project wallet")]
    ForeignCollection { collection: u32 },
    /// The item already exists on chain, owned by someone else than intended.
    #[error("item {item} of collection {collection} is already minted to another account")]
    ItemOwnedElsewhere { collection: u32, item: u32 },
}

impl Error {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidSecret => "invalid_wallet_secret",
            Error::InvalidAddress { .. } => "invalid_address",
            Error::Unreachable { .. } => "chain_unreachable",
            Error::Rpc(_) => "chain_rpc",
            Error::Timeout { .. } => "chain_timeout",
            Error::InsufficientFunds { .. } => "insufficient_funds",
            Error::ExtrinsicFailed { .. } => "extrinsic_failed",
            Error::NotIncluded { .. } => "transaction_not_included",
            Error::CollectionEventMissing => "collection_event_missing",
            Error::ItemIdOutOfRange(_) => "item_id_out_of_range",
            Error::MetadataTooLong { .. } => "metadata_too_long",
            Error::ForeignCollection { .. } => "foreign_collection",
            Error::ItemOwnedElsewhere { .. } => "item_owned_elsewhere",
        }
    }

    /// True when retrying the same request can never succeed without a change of
    /// input (as opposed to funding, connectivity or chain hiccups).
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            Error::InvalidAddress { .. }
                | Error::ItemIdOutOfRange(_)
                | Error::MetadataTooLong { .. }
                | Error::ForeignCollection { .. }
                | Error::ItemOwnedElsewhere { .. }
        )
    }

    /// True when the connection should be dropped and made again before retrying.
    pub fn needs_reconnect(&self) -> bool {
        matches!(
            self,
            Error::Unreachable { .. } | Error::Rpc(_) | Error::Timeout { .. }
        )
    }
}

/// Shorthand.
pub type Result<T> = std::result::Result<T, Error>;

/// Any subxt error becomes an RPC error carrying its message.
pub(crate) fn rpc(e: impl Into<subxt::Error>) -> Error {
    Error::Rpc(e.into().to_string())
}
