//! Per-chain configuration: endpoint, native token, address format, funding rule.

use std::time::Duration;

/// How to reach and interpret one chain. Nothing chain-specific lives in code: a
/// runtime with other decimals or another SS58 prefix is a different value here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainConfig {
    /// WebSocket endpoint (`ws://` is accepted for local nodes, `wss://` otherwise).
    pub url: String,
    /// Native token symbol, used in messages only.
    pub symbol: String,
    /// Decimals of the native token.
    pub decimals: u8,
    /// SS58 prefix used to display addresses.
    pub ss58_prefix: u16,
    /// Whole tokens the project wallet must hold before anything is submitted.
    pub min_whole_tokens: u32,
    /// Longest wait for one RPC round trip or one transaction to be finalized.
    pub timeout: Duration,
}

impl ChainConfig {
    fn new(url: &str, symbol: &str, decimals: u8, ss58_prefix: u16) -> Self {
        ChainConfig {
            url: url.to_string(),
            symbol: symbol.to_string(),
            decimals,
            ss58_prefix,
            min_whole_tokens: 2,
            timeout: Duration::from_secs(60),
        }
    }

    /// Polkadot Asset Hub: DOT, 10 decimals, SS58 prefix 0.
    pub fn polkadot_asset_hub(url: &str) -> Self {
        Self::new(url, "DOT", 10, 0)
    }

    /// Westend Asset Hub (testnet): WND, 12 decimals, SS58 prefix 42.
    pub fn westend_asset_hub(url: &str) -> Self {
        Self::new(url, "WND", 12, 42)
    }

    /// Kusama Asset Hub, also the local chopsticks runtime: KSM, 12 decimals, prefix 2.
    pub fn kusama_asset_hub(url: &str) -> Self {
        Self::new(url, "KSM", 12, 2)
    }

    /// The minimum balance in planck (smallest units).
    pub fn min_balance(&self) -> u128 {
        u128::from(self.min_whole_tokens)
            .saturating_mul(10u128.saturating_pow(self.decimals.into()))
    }

    /// `amount` planck as a decimal string in whole tokens, trailing zeros trimmed
    /// (`1500000000000` at 12 decimals is `1.5`).
    pub fn format_amount(&self, amount: u128) -> String {
        let unit = 10u128.saturating_pow(self.decimals.into());
        let whole = amount / unit;
        let frac = amount % unit;
        if frac == 0 {
            return whole.to_string();
        }
        let digits = format!("{frac:0width$}", width = usize::from(self.decimals));
        format!("{whole}.{}", digits.trim_end_matches('0'))
    }
}

/// The SS58 text form of a 32-byte account under `prefix`.
pub fn ss58_encode(account: &[u8; 32], prefix: u16) -> String {
    use blake2::Digest;
    let mut body: Vec<u8> = if prefix < 64 {
        vec![prefix as u8]
    } else {
        // Two-byte form for prefixes 64..16383 (the standard's bit layout).
        let lo = (((prefix & 0b1111_1100) >> 2) as u8) | 0b0100_0000;
        let hi = ((prefix >> 8) as u8) | (((prefix & 0b11) as u8) << 6);
        vec![lo, hi]
    };
    body.extend_from_slice(account);
    let mut h = blake2::Blake2b512::new();
    h.update(b"SS58PRE");
    h.update(&body);
    let sum = h.finalize();
    body.extend_from_slice(&sum[..2]);
    base58::ToBase58::to_base58(body.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_format_in_whole_tokens() {
        let c = ChainConfig::kusama_asset_hub("ws://x");
        assert_eq!(c.format_amount(1_500_000_000_000), "1.5");
        assert_eq!(c.format_amount(2_000_000_000_000), "2");
        assert_eq!(c.format_amount(1), "0.000000000001");
        assert_eq!(c.min_balance(), 2_000_000_000_000);
        let d = ChainConfig::polkadot_asset_hub("ws://x");
        assert_eq!(d.min_balance(), 20_000_000_000);
    }

    #[test]
    fn alice_in_known_formats() {
        let alice: [u8; 32] = [
            0xd4, 0x35, 0x93, 0xc7, 0x15, 0xfd, 0xd3, 0x1c, 0x61, 0x14, 0x1a, 0xbd, 0x04, 0xa9,
            0x9f, 0xd6, 0x82, 0x2c, 0x85, 0x58, 0x85, 0x4c, 0xcd, 0xe3, 0x9a, 0x56, 0x84, 0xe7,
            0xa5, 0x6d, 0xa2, 0x7d,
        ];
        assert_eq!(
            ss58_encode(&alice, 42),
            "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
        );
        assert_eq!(
            ss58_encode(&alice, 2),
            "HNZata7iMYWmk5RvZRTiAsSDhV8366zq2YGb3tLH5Upf74F"
        );
    }
}
