//! End-to-end: tokens through PNG and the decoder, and the corpus image that made
//! rqrr panic.

use std::path::PathBuf;

use proptest::prelude::*;
use wicket_ticket::decode::{DEFAULT_CASCADE, Step, decode_gray_with, load_gray};
use wicket_ticket::{SigningKey, TicketClaims, decode_image_bytes, parse, render_png, sign};

#[test]
fn rqrr_panic_image_does_not_crash() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/qr/zxing-cpp-samples/qrcode-6/7.png");
    let Ok(bytes) = std::fs::read(&path) else {
        println!("note: {} absent, skipping", path.display());
        return;
    };
    // Ok with or without text is fine; a panic or an error is not.
    let texts = decode_image_bytes(&bytes).expect("a valid PNG must not be an error");
    let expected = std::fs::read_to_string(path.with_extension("txt")).unwrap_or_default();
    println!("decoded {texts:?}, expected {:?}", expected.trim());
    // The default cascade reads this image with rxing before rqrr runs, so call
    // rqrr alone too: that is the path that panics inside the decoder.
    let img = load_gray(&bytes).expect("valid PNG");
    let scan = decode_gray_with(&[Step::Rqrr], img.width(), img.height(), img.as_raw())
        .expect("dimensions are valid");
    println!("rqrr alone: {:?}", scan.texts);
}

#[test]
fn a_creased_cloth_code_reads_with_the_warp_search_only() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/qr/zxing-cpp-samples/qrcode-4/05.webp");
    let Ok(bytes) = std::fs::read(&path) else {
        println!("note: {} absent, skipping", path.display());
        return;
    };
    let expected = std::fs::read_to_string(path.with_extension("txt")).expect("expected text");
    let img = load_gray(&bytes).expect("valid WebP");
    let camera = decode_gray_with(DEFAULT_CASCADE, img.width(), img.height(), img.as_raw())
        .expect("dimensions are valid");
    assert!(camera.texts.is_empty(), "{:?}", camera.texts);
    let texts = decode_image_bytes(&bytes).expect("decodes");
    assert_eq!(texts, vec![expected.trim().to_owned()]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn token_png_decode_parse_verify(
        seed in any::<[u8; 32]>(),
        ids in any::<(u128, u128, u128)>(),
        item_id in 0..=u64::from(u32::MAX),
        with_event in any::<bool>(),
        from in 0..=i64::from(u32::MAX / 2),
        scale in 2u32..6,
    ) {
        let claims = TicketClaims {
            product_id: uuid::Uuid::from_u128(ids.0),
            item_uuid: uuid::Uuid::from_u128(ids.1),
            item_id,
            event_id: with_event.then(|| uuid::Uuid::from_u128(ids.2)),
            valid_from: from,
            valid_until: from + 86_400,
        };
        let key = SigningKey::from_bytes(&seed);
        let token = sign(&claims, &key).unwrap();
        let png = render_png(&token, scale).unwrap();
        let texts = decode_image_bytes(&png).unwrap();
        prop_assert_eq!(texts.len(), 1);
        prop_assert_eq!(&texts[0], &token);
        let ticket = parse(&texts[0]).unwrap();
        prop_assert_eq!(ticket.verify(&key.verifying_key()).unwrap(), &claims);
    }
}
