//! Minting against a real Asset Hub runtime (Kusama Asset Hub genesis run by
//! chopsticks through scripts/chopsticks.sh). Skips with a note when chopsticks is
//! not installed, unless CI is set (then it is installed and must run).

use wicket_chain::devchain::{self, DevChain, DevChainOptions};
use wicket_chain::{ChainConfig, Error, MintRequest, Minter, keypair_from_secret};

const KSM: u128 = 1_000_000_000_000;

fn is_hash(s: &str) -> bool {
    s.len() == 66 && s.starts_with("0x") && s[2..].chars().all(|c| c.is_ascii_hexdigit())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mint_is_idempotent_and_funds_are_checked() {
    if !devchain::available("mint_is_idempotent_and_funds_are_checked") {
        return;
    }
    let wallet = keypair_from_secret("//WicketChainTest").expect("dev secret");
    let poor = keypair_from_secret("//WicketChainPoor").expect("dev secret");
    let wallet_id = wallet.public_key().to_account_id();
    let poor_id = poor.public_key().to_account_id();
    let chain = DevChain::start(DevChainOptions {
        funds: vec![(wallet_id, 1_000 * KSM), (poor_id, KSM + KSM / 2)],
        log: Some(std::env::temp_dir().join("wicket-chain-test-chopsticks.log")),
        ..Default::default()
    })
    .await
    .expect("chopsticks starts");
    let cfg = ChainConfig::kusama_asset_hub(&chain.url);

    // Funds: the poor wallet is refused with the shortfall in words.
    let poor_minter = Minter::connect(cfg.clone(), poor).await.expect("connect");
    let err = poor_minter.check_funds().await.expect_err("1.5 KSM < 2");
    assert_eq!(err.code(), "insufficient_funds");
    assert_eq!(
        err.to_string(),
        format!(
            "wallet {} holds 1.5 KSM, needs 2",
            poor_minter.wallet_address()
        )
    );
    assert!(
        poor_minter
            .wallet_address()
            .starts_with(['C', 'D', 'E', 'F', 'G', 'H', 'J'])
    );
    let err = poor_minter.create_collection().await.expect_err("refused");
    assert!(matches!(err, Error::InsufficientFunds { .. }), "{err}");
    // Funding through chopsticks' dev_setStorage lifts the refusal.
    chain
        .set_free_balance(&poor_id, 3 * KSM)
        .await
        .expect("dev_setStorage");
    poor_minter.check_funds().await.expect("now funded");

    // One collection, administered by the wallet; its id comes from the event.
    let minter = Minter::connect(cfg, wallet).await.expect("connect");
    let next = minter.next_collection_id().await.expect("next id");
    let (collection, tx) = minter.create_collection().await.expect("create");
    assert_eq!(collection, next);
    assert!(
        is_hash(&tx.extrinsic_hash) && is_hash(&tx.block_hash),
        "{tx:?}"
    );
    assert_eq!(
        minter.collection_owner(collection).await.expect("read"),
        Some(wallet_id)
    );
    assert_eq!(minter.next_collection_id().await.expect("next"), next + 1);

    // Mint item 7 to a custody account with its metadata URI.
    let custody = keypair_from_secret("//WicketCustody")
        .expect("dev secret")
        .public_key()
        .to_account_id();
    let uri = b"https://tickets.example.com/nft/gig-2026.json".to_vec();
    let req = MintRequest {
        collection,
        item: 7,
        owner: custody,
        metadata: uri.clone(),
    };
    assert_eq!(minter.item_owner(collection, 7).await.expect("read"), None);
    let nonce_before = minter.nonce(&wallet_id).await.expect("nonce");
    let receipt = minter.mint(&req).await.expect("mint");
    let (Some(m), Some(md)) = (&receipt.mint, &receipt.metadata) else {
        panic!("both steps submitted: {receipt:?}");
    };
    assert!(is_hash(&m.extrinsic_hash) && is_hash(&m.block_hash));
    assert_ne!(m.extrinsic_hash, md.extrinsic_hash);
    assert_eq!(
        minter.item_owner(collection, 7).await.expect("read"),
        Some(custody)
    );
    assert_eq!(
        minter.item_metadata(collection, 7).await.expect("read"),
        Some(uri.clone())
    );
    assert_eq!(
        minter.nonce(&wallet_id).await.expect("nonce"),
        nonce_before + 2
    );

    // Asking again submits nothing: both steps are read back from chain state.
    let again = minter.mint(&req).await.expect("mint again");
    assert_eq!(again.mint, None);
    assert_eq!(again.metadata, None);
    assert_eq!(
        minter.nonce(&wallet_id).await.expect("nonce"),
        nonce_before + 2
    );

    // Several items in one Utility.batch_all: one transaction, item 7 left out.
    let many: Vec<MintRequest> = [7u64, 10, 11, 12]
        .iter()
        .map(|&item| MintRequest {
            item,
            ..req.clone()
        })
        .collect();
    let receipts = minter.mint_many(&many).await.expect("mint many");
    assert_eq!(receipts[0].mint, None);
    assert_eq!(receipts[0].metadata, None);
    let batch_tx = receipts[1].mint.clone().expect("batched");
    assert!(
        receipts[1..]
            .iter()
            .all(|r| r.mint.as_ref() == Some(&batch_tx) && r.metadata.as_ref() == Some(&batch_tx))
    );
    assert_eq!(
        minter.nonce(&wallet_id).await.expect("nonce"),
        nonce_before + 3
    );
    for item in [10u32, 11, 12] {
        assert_eq!(
            minter.item_owner(collection, item).await.expect("read"),
            Some(custody)
        );
        assert_eq!(
            minter.item_metadata(collection, item).await.expect("read"),
            Some(uri.clone())
        );
    }
    let again = minter.mint_many(&many).await.expect("mint many again");
    assert!(
        again
            .iter()
            .all(|r| r.mint.is_none() && r.metadata.is_none())
    );
    assert_eq!(
        minter.nonce(&wallet_id).await.expect("nonce"),
        nonce_before + 3
    );

    // Refusals that retrying cannot fix.
    let long = MintRequest {
        item: 8,
        metadata: vec![b'x'; 257],
        ..req.clone()
    };
    let err = minter.mint(&long).await.expect_err("too long");
    assert_eq!(err.code(), "metadata_too_long");
    assert!(err.is_permanent());
    let big = MintRequest {
        item: u64::from(u32::MAX) + 1,
        ..req.clone()
    };
    assert_eq!(
        minter.mint(&big).await.expect_err("too big").code(),
        "item_id_out_of_range"
    );
    let foreign = MintRequest {
        collection: collection + 100,
        ..req.clone()
    };
    assert_eq!(
        minter
            .mint(&foreign)
            .await
            .expect_err("no such collection")
            .code(),
        "foreign_collection"
    );
    assert_eq!(minter.item_owner(collection, 8).await.expect("read"), None);

    chain.stop().await;
}
