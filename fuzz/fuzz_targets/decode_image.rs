//! Any bytes into the image decode entry point, and any small gray frame into the
//! frame decoder and the camera's frame combiner: they must return, never panic
//! or abort.
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
        // The combiner keeps state across frames: feed it the frame, a shifted
        // copy (followed, not found) and a wrong-sized one.
        let (cw, ch) = (u32::from(data[0] % 128) + 64, u32::from(data[1] % 96) + 64);
        let n = (cw * ch) as usize;
        if px.len() >= n + 3 {
            let mut c = wicket_ticket::sequence::FrameCombiner::default();
            let _ = c.decode(cw, ch, &px[..n]);
            let _ = c.decode(cw, ch, &px[3..n + 3]);
            let _ = c.decode(cw, ch, &px[..n - 1]);
        }
    }
});
