//! Any text into the token parser: it must return, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(t) = wicket_ticket::parse(text)
    {
        // A parsed token must survive being looked at.
        let _ = t.claims();
        let _ = t.key_id().to_string();
    }
});
