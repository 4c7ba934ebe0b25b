//! Signed ticket tokens: binary layout, text form, signing and verification.
//!
//! Binary layout (all integers big-endian), format version 1:
//!
//! | bytes | field |
//! |---|---|
//! | 1 | format version (`1`) |
//! | 8 | issuer [`KeyId`] |
//! | 16 | `product_id` |
//! | 16 | `item_uuid` |
//! | 4 | `item_id` as `u32` (larger ids are refused at signing) |
//! | 1 | flags: bit 0 = an event id follows; other bits must be zero |
//! | 0 or 16 | `event_id` |
//! | 4 | `valid_from`, unix seconds as `u32` |
//! | 4 | `valid_until`, unix seconds as `u32` |
//! | 64 | Ed25519 signature over every byte above |
//!
//! Timestamps as `u32` seconds cover 1970..2106, which is plenty for tickets and
//! saves 8 bytes (about 13 QR characters) over `i64`.
//!
//! Text form: [`PREFIX`] followed by RFC 4648 base32, upper case, without padding.
//! Every character is in the QR alphanumeric set, so the QR stays small (version 10
//! at level Q with an event) and a keyboard-wedge scanner types it the same way on
//! any keyboard layout (letters and the digits 2-7 only).

use std::fmt;
use std::str::FromStr;

use data_encoding::{BASE32_NOPAD, HEXLOWER_PERMISSIVE};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Scheme marker in front of the base32 text; lets a scanner tell a Wicket ticket
/// from any other barcode before decoding anything.
pub const PREFIX: &str = "WK1";

/// The only binary format version this build reads and writes.
pub const FORMAT_VERSION: u8 = 1;

const KEY_ID_LEN: usize = 8;
const SIG_LEN: usize = 64;
const FLAG_EVENT: u8 = 0x01;
/// version + key id + product + item uuid + item id + flags + two timestamps.
const FIXED_LEN: usize = 1 + KEY_ID_LEN + 16 + 16 + 4 + 1 + 4 + 4;
/// Lengths of a whole decoded token without / with an event id.
const LEN_NO_EVENT: usize = FIXED_LEN + SIG_LEN;
const LEN_WITH_EVENT: usize = FIXED_LEN + 16 + SIG_LEN;

/// Errors from building, reading or verifying a ticket token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TicketError {
    /// The text does not start with [`PREFIX`].
    #[error("not a Wicket ticket (missing {PREFIX} prefix)")]
    BadPrefix,
    /// The text after the prefix is not valid unpadded base32.
    #[error("ticket text is not valid base32")]
    BadBase32,
    /// The decoded bytes have neither of the two valid lengths.
    #[error("ticket has the wrong length ({0} bytes)")]
    BadLength(usize),
    /// The format version byte is not one this build understands.
    #[error("unsupported ticket format version {0}")]
    UnsupportedVersion(u8),
    /// The bytes have the right shape but an impossible field value.
    #[error("malformed ticket: {0}")]
    Malformed(&'static str),
    /// The signature does not verify under the given key.
    #[error("ticket signature is not valid for this key")]
    Forged,
    /// `item_id` does not fit the token's 32-bit field.
    #[error("item id {0} does not fit in a ticket token (max {max})", max = u32::MAX)]
    ItemIdOutOfRange(u64),
    /// A timestamp is before 1970 or after 2106.
    #[error("timestamp {0} is outside the ticket range (0..=4294967295)")]
    TimestampOutOfRange(i64),
    /// `valid_until` is earlier than `valid_from`.
    #[error("validity window ends before it starts")]
    InvalidWindow,
    /// A key id string is not 16 hex digits.
    #[error("key id must be 16 hex digits")]
    BadKeyId,
}

impl TicketError {
    /// Stable snake_case code for UIs, APIs and logs.
    pub fn code(&self) -> &'static str {
        match self {
            TicketError::BadPrefix => "bad_prefix",
            TicketError::BadBase32 => "bad_base32",
            TicketError::BadLength(_) => "bad_length",
            TicketError::UnsupportedVersion(_) => "unsupported_version",
            TicketError::Malformed(_) => "malformed",
            TicketError::Forged => "forged",
            TicketError::ItemIdOutOfRange(_) => "item_id_out_of_range",
            TicketError::TimestampOutOfRange(_) => "timestamp_out_of_range",
            TicketError::InvalidWindow => "invalid_window",
            TicketError::BadKeyId => "bad_key_id",
        }
    }

    /// True for every error that means "this text is not a readable ticket" (as
    /// opposed to a readable ticket with a bad signature), so the door can answer
    /// one `malformed` verdict without listing the parse variants.
    pub fn is_unreadable(&self) -> bool {
        matches!(
            self,
            TicketError::BadPrefix
                | TicketError::BadBase32
                | TicketError::BadLength(_)
                | TicketError::UnsupportedVersion(_)
                | TicketError::Malformed(_)
        )
    }
}

/// What a ticket asserts. Times are unix seconds and must lie in `0..=u32::MAX`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TicketClaims {
    pub product_id: Uuid,
    pub item_uuid: Uuid,
    /// Must fit in `u32`; checked at signing.
    pub item_id: u64,
    pub event_id: Option<Uuid>,
    pub valid_from: i64,
    pub valid_until: i64,
}

/// Short issuer key identifier: the first 8 bytes of SHA-256 of the 32-byte
/// Ed25519 public key. Shown and parsed as 16 lower-case hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub [u8; 8]);

/// The [`KeyId`] of a public key.
pub fn key_id(key: &VerifyingKey) -> KeyId {
    let digest = Sha256::digest(key.as_bytes());
    let mut id = [0u8; KEY_ID_LEN];
    id.copy_from_slice(&digest[..KEY_ID_LEN]);
    KeyId(id)
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl FromStr for KeyId {
    type Err = TicketError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.len() != 2 * KEY_ID_LEN {
            return Err(TicketError::BadKeyId);
        }
        let bytes = HEXLOWER_PERMISSIVE
            .decode(s.as_bytes())
            .map_err(|_| TicketError::BadKeyId)?;
        let id: [u8; KEY_ID_LEN] = bytes.try_into().map_err(|_| TicketError::BadKeyId)?;
        Ok(KeyId(id))
    }
}

fn timestamp_u32(t: i64) -> Result<u32, TicketError> {
    u32::try_from(t).map_err(|_| TicketError::TimestampOutOfRange(t))
}

/// Serialises the signed part (everything but the signature).
fn encode_body(claims: &TicketClaims, kid: &KeyId) -> Result<Vec<u8>, TicketError> {
    let item_id =
        u32::try_from(claims.item_id).map_err(|_| TicketError::ItemIdOutOfRange(claims.item_id))?;
    let from = timestamp_u32(claims.valid_from)?;
    let until = timestamp_u32(claims.valid_until)?;
    if until < from {
        return Err(TicketError::InvalidWindow);
    }
    let mut out = Vec::with_capacity(LEN_WITH_EVENT);
    out.push(FORMAT_VERSION);
    out.extend_from_slice(&kid.0);
    out.extend_from_slice(claims.product_id.as_bytes());
    out.extend_from_slice(claims.item_uuid.as_bytes());
    out.extend_from_slice(&item_id.to_be_bytes());
    match claims.event_id {
        Some(ev) => {
            out.push(FLAG_EVENT);
            out.extend_from_slice(ev.as_bytes());
        }
        None => out.push(0),
    }
    out.extend_from_slice(&from.to_be_bytes());
    out.extend_from_slice(&until.to_be_bytes());
    Ok(out)
}

/// Signs `claims` with `key` and returns the text token (`WK1…`).
pub fn sign(claims: &TicketClaims, key: &SigningKey) -> Result<String, TicketError> {
    let kid = key_id(&key.verifying_key());
    let mut bytes = encode_body(claims, &kid)?;
    let sig: Signature = key.sign(&bytes);
    bytes.extend_from_slice(&sig.to_bytes());
    let mut text = String::with_capacity(PREFIX.len() + BASE32_NOPAD.encode_len(bytes.len()));
    text.push_str(PREFIX);
    BASE32_NOPAD.encode_append(&bytes, &mut text);
    Ok(text)
}

/// A token that parsed but whose signature has not been checked yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedTicket {
    key_id: KeyId,
    claims: TicketClaims,
    /// The signed bytes (version through timestamps), kept for verification.
    body: Vec<u8>,
    signature: [u8; SIG_LEN],
}

impl SignedTicket {
    /// Issuer key id as written in the token (not yet authenticated).
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// Claims as written in the token (not yet authenticated).
    pub fn claims(&self) -> &TicketClaims {
        &self.claims
    }

    /// Checks the signature under `key`; returns the now trusted claims.
    ///
    /// Any failure, including a key whose id differs from the token's, is
    /// [`TicketError::Forged`]: to the door both mean "not signed by this issuer".
    pub fn verify(&self, key: &VerifyingKey) -> Result<&TicketClaims, TicketError> {
        if key_id(key) != self.key_id {
            return Err(TicketError::Forged);
        }
        let sig = Signature::from_bytes(&self.signature);
        // Strict: refuses non-canonical signatures and weak keys, so a token has
        // exactly one valid byte form.
        key.verify_strict(&self.body, &sig)
            .map_err(|_| TicketError::Forged)?;
        Ok(&self.claims)
    }
}

/// Reads a token from scanned or typed text. Surrounding whitespace (scanners often
/// append CR/LF) is ignored and case does not matter. Never panics.
pub fn parse(text: &str) -> Result<SignedTicket, TicketError> {
    let text = text.trim();
    // Prefix is ASCII, so a byte compare is enough and cannot split a char.
    let rest = match text.as_bytes().split_at_checked(PREFIX.len()) {
        Some((head, rest)) if head.eq_ignore_ascii_case(PREFIX.as_bytes()) => rest,
        _ => return Err(TicketError::BadPrefix),
    };
    // Refuse before allocating for absurd inputs (e.g. a pasted document).
    if rest.len() > BASE32_NOPAD.encode_len(LEN_WITH_EVENT) {
        return Err(TicketError::BadLength(rest.len() * 5 / 8));
    }
    let upper = rest.to_ascii_uppercase();
    let bytes = BASE32_NOPAD
        .decode(&upper)
        .map_err(|_| TicketError::BadBase32)?;
    decode_bytes(&bytes)
}

fn decode_bytes(bytes: &[u8]) -> Result<SignedTicket, TicketError> {
    // Version first, so a future longer format reports the right error.
    let version = *bytes.first().ok_or(TicketError::BadLength(0))?;
    if version != FORMAT_VERSION {
        return Err(TicketError::UnsupportedVersion(version));
    }
    if bytes.len() != LEN_NO_EVENT && bytes.len() != LEN_WITH_EVENT {
        return Err(TicketError::BadLength(bytes.len()));
    }
    let (body, sig) = bytes.split_at(bytes.len() - SIG_LEN);
    let mut r = Reader(body);
    r.take::<1>()?;
    let key_id = KeyId(r.take()?);
    let product_id = Uuid::from_bytes(r.take()?);
    let item_uuid = Uuid::from_bytes(r.take()?);
    let item_id = u64::from(u32::from_be_bytes(r.take()?));
    let [flags] = r.take()?;
    let event_id = match flags {
        0 => None,
        FLAG_EVENT => Some(Uuid::from_bytes(r.take()?)),
        _ => return Err(TicketError::Malformed("unknown flag bits")),
    };
    let valid_from = i64::from(u32::from_be_bytes(r.take()?));
    let valid_until = i64::from(u32::from_be_bytes(r.take()?));
    if !r.0.is_empty() {
        // Length disagrees with the event flag.
        return Err(TicketError::Malformed("length does not match event flag"));
    }
    if valid_until < valid_from {
        return Err(TicketError::Malformed(
            "validity window ends before it starts",
        ));
    }
    let signature: [u8; SIG_LEN] = sig
        .try_into()
        .map_err(|_| TicketError::BadLength(bytes.len()))?;
    Ok(SignedTicket {
        key_id,
        claims: TicketClaims {
            product_id,
            item_uuid,
            item_id,
            event_id,
            valid_from,
            valid_until,
        },
        body: body.to_vec(),
        signature,
    })
}

/// Bounds-checked cursor over the body bytes.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], TicketError> {
        let (head, rest) = self
            .0
            .split_first_chunk::<N>()
            .ok_or(TicketError::Malformed("length does not match event flag"))?;
        self.0 = rest;
        Ok(*head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn claims(event: bool) -> TicketClaims {
        TicketClaims {
            product_id: Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef),
            item_uuid: Uuid::from_u128(0xfedc_ba98_7654_3210_fedc_ba98_7654_3210),
            item_id: 4_000_000_000,
            event_id: event.then(|| Uuid::from_u128(42)),
            valid_from: 1_700_000_000,
            valid_until: 1_800_000_000,
        }
    }

    fn raw_bytes(token: &str) -> Vec<u8> {
        BASE32_NOPAD
            .decode(&token.as_bytes()[PREFIX.len()..])
            .expect("own token is base32")
    }

    fn text_of(bytes: &[u8]) -> String {
        format!("{PREFIX}{}", BASE32_NOPAD.encode(bytes))
    }

    #[test]
    fn round_trip_with_and_without_event() {
        for event in [true, false] {
            let k = key(1);
            let c = claims(event);
            let token = sign(&c, &k).unwrap();
            assert!(token.starts_with(PREFIX));
            let t = parse(&token).unwrap();
            assert_eq!(t.key_id(), key_id(&k.verifying_key()));
            assert_eq!(t.claims(), &c);
            assert_eq!(t.verify(&k.verifying_key()).unwrap(), &c);
        }
    }

    #[test]
    fn text_uses_only_upper_base32_chars() {
        let token = sign(&claims(true), &key(2)).unwrap();
        assert!(
            token
                .chars()
                .all(|c| c.is_ascii_uppercase() || ('1'..='7').contains(&c)),
            "{token}"
        );
        assert!(!token.contains('='));
    }

    #[test]
    fn parse_tolerates_case_and_scanner_whitespace() {
        let k = key(3);
        let token = sign(&claims(true), &k).unwrap();
        let messy = format!("  {}\r\n", token.to_ascii_lowercase());
        let t = parse(&messy).unwrap();
        assert!(t.verify(&k.verifying_key()).is_ok());
    }

    #[test]
    fn every_bit_flip_is_refused() {
        let k = key(4);
        for event in [true, false] {
            let bytes = raw_bytes(&sign(&claims(event), &k).unwrap());
            for i in 0..bytes.len() * 8 {
                let mut b = bytes.clone();
                b[i / 8] ^= 1 << (i % 8);
                let res = parse(&text_of(&b)).and_then(|t| t.verify(&k.verifying_key()).cloned());
                assert!(res.is_err(), "flip of bit {i} accepted (event={event})");
            }
        }
    }

    #[test]
    fn every_truncation_is_refused() {
        let k = key(5);
        let token = sign(&claims(true), &k).unwrap();
        let bytes = raw_bytes(&token);
        for n in 0..bytes.len() {
            let res = parse(&text_of(&bytes[..n]));
            assert!(res.is_err(), "byte truncation to {n} accepted");
        }
        for n in 0..token.len() {
            let res = parse(&token[..n]).and_then(|t| t.verify(&k.verifying_key()).cloned());
            assert!(res.is_err(), "text truncation to {n} accepted");
        }
    }

    #[test]
    fn distinct_error_codes() {
        let k = key(6);
        let token = sign(&claims(true), &k).unwrap();
        assert_eq!(parse("XX1ABC").unwrap_err().code(), "bad_prefix");
        assert_eq!(parse("").unwrap_err().code(), "bad_prefix");
        assert_eq!(parse("WK1ABC!").unwrap_err().code(), "bad_base32");
        assert_eq!(parse("WK1").unwrap_err().code(), "bad_length");
        let mut long = token.clone();
        long.push_str("AAAAAAAA");
        assert_eq!(parse(&long).unwrap_err().code(), "bad_length");
        let mut b = raw_bytes(&token);
        b[0] = 2;
        assert_eq!(
            parse(&text_of(&b)).unwrap_err().code(),
            "unsupported_version"
        );
        let mut b = raw_bytes(&token);
        b[1 + 8 + 16 + 16 + 4] = 0x80;
        assert_eq!(parse(&text_of(&b)).unwrap_err().code(), "malformed");
        let mut b = raw_bytes(&token);
        let last = b.len() - 1;
        b[last] ^= 0x10;
        let t = parse(&text_of(&b)).unwrap();
        assert_eq!(t.verify(&k.verifying_key()).unwrap_err().code(), "forged");
        assert!(TicketError::BadBase32.is_unreadable());
        assert!(!TicketError::Forged.is_unreadable());
    }

    #[test]
    fn non_ascii_input_does_not_panic() {
        for s in [
            "é",
            "WKé",
            "W\u{1F600}1",
            "WK1\u{00e9}AAAA",
            "wk1",
            "\u{feff}WK1",
        ] {
            assert!(parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn resigned_with_other_key_fails_verify() {
        let (a, b) = (key(7), key(8));
        let forged = sign(&claims(true), &b).unwrap();
        let t = parse(&forged).unwrap();
        assert_eq!(t.verify(&a.verifying_key()), Err(TicketError::Forged));

        // Even with the victim's key id spliced in, the signature does not check.
        let mut bytes = raw_bytes(&forged);
        bytes[1..9].copy_from_slice(&key_id(&a.verifying_key()).0);
        let t = parse(&text_of(&bytes)).unwrap();
        assert_eq!(t.key_id(), key_id(&a.verifying_key()));
        assert_eq!(t.verify(&a.verifying_key()), Err(TicketError::Forged));
    }

    #[test]
    fn signing_checks_ranges() {
        let k = key(9);
        let mut c = claims(false);
        c.item_id = u64::from(u32::MAX) + 1;
        assert_eq!(sign(&c, &k).unwrap_err().code(), "item_id_out_of_range");
        let mut c = claims(false);
        c.valid_from = -1;
        assert_eq!(sign(&c, &k).unwrap_err().code(), "timestamp_out_of_range");
        let mut c = claims(false);
        c.valid_until = i64::from(u32::MAX) + 1;
        assert_eq!(sign(&c, &k).unwrap_err().code(), "timestamp_out_of_range");
        let mut c = claims(false);
        c.valid_until = c.valid_from - 1;
        assert_eq!(sign(&c, &k).unwrap_err().code(), "invalid_window");
    }

    #[test]
    fn key_id_hex_round_trip() {
        let id = key_id(&key(10).verifying_key());
        let s = id.to_string();
        assert_eq!(s.len(), 16);
        assert!(
            s.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_eq!(s.parse::<KeyId>().unwrap(), id);
        assert_eq!(s.to_uppercase().parse::<KeyId>().unwrap(), id);
        assert_eq!("abc".parse::<KeyId>().unwrap_err().code(), "bad_key_id");
        assert_eq!(
            "zz".repeat(8).parse::<KeyId>().unwrap_err().code(),
            "bad_key_id"
        );
        assert_ne!(key_id(&key(11).verifying_key()), id);
    }

    #[test]
    fn key_id_is_sha256_prefix() {
        let vk = key(12).verifying_key();
        let full = Sha256::digest(vk.as_bytes());
        assert_eq!(key_id(&vk).0[..], full[..8]);
    }

    mod prop {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn round_trip_random_claims(
                seed in any::<[u8; 32]>(),
                p in any::<u128>(),
                i in any::<u128>(),
                item_id in 0..=u64::from(u32::MAX),
                ev in proptest::option::of(any::<u128>()),
                from in 0..=i64::from(u32::MAX),
                len in 0..=i64::from(u32::MAX),
            ) {
                let c = TicketClaims {
                    product_id: Uuid::from_u128(p),
                    item_uuid: Uuid::from_u128(i),
                    item_id,
                    event_id: ev.map(Uuid::from_u128),
                    valid_from: from,
                    valid_until: (from + len).min(i64::from(u32::MAX)),
                };
                let k = SigningKey::from_bytes(&seed);
                let token = sign(&c, &k).unwrap();
                let t = parse(&token).unwrap();
                prop_assert_eq!(t.verify(&k.verifying_key()).unwrap(), &c);
            }

            #[test]
            fn parse_never_panics(s in "\\PC{0,260}") {
                let _ = parse(&s);
            }

            #[test]
            fn parse_never_panics_on_prefixed_base32(s in "WK1[A-Z2-7a-z=]{0,260}") {
                let _ = parse(&s);
            }
        }
    }
}
