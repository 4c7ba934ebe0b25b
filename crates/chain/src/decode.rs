//! Shapes decoded from chain storage (only the fields Wicket reads). Kept apart
//! from the crate root: the derive expands to bare `Result`/`Error`, which the
//! root's re-exports would shadow.

use subxt::utils::AccountId32;

#[derive(Debug, subxt::ext::scale_decode::DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
pub(crate) struct AccountInfo {
    pub(crate) nonce: u64,
    pub(crate) data: AccountData,
}

#[derive(Debug, subxt::ext::scale_decode::DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
pub(crate) struct AccountData {
    pub(crate) free: u128,
}

#[derive(Debug, subxt::ext::scale_decode::DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
pub(crate) struct ItemDetails {
    pub(crate) owner: AccountId32,
}

#[derive(Debug, subxt::ext::scale_decode::DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
pub(crate) struct CollectionDetails {
    pub(crate) owner: AccountId32,
}

#[derive(Debug, subxt::ext::scale_decode::DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
pub(crate) struct ItemMetadata {
    pub(crate) data: Vec<u8>,
}
