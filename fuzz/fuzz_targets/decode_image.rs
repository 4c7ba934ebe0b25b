//! Any bytes into the image decode entry point, and any small gray frame into the
//! frame decoder: they must return, never panic or abort.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = wicket_ticket::decode_image_bytes(data);
    if data.len() >= 2 {
        let w = u32::from(data[0] % 64) + 1;
        let h = u32::from(data[1] % 64) + 1;
        let px = &data[2..];
        let _ = wicket_ticket::decode_gray(w, h, px);
        if px.len() >= (w * h) as usize {
            let _ = wicket_ticket::decode_gray(w, h, &px[..(w * h) as usize]);
        }
    }
});
