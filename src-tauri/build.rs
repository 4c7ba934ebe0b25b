//! Tauri's build step. `generate_context!` embeds `../ui/dist` and fails when it is
//! missing, which would break `cargo build --workspace` on a checkout where the UI
//! was never built; so a placeholder page is written there in that case only.

use std::path::Path;

fn main() {
    let dist = Path::new("../ui/dist");
    let index = dist.join("index.html");
    if !index.exists() {
        let page = "<!doctype html><meta charset=\"utf-8\"><title>Wicket</title>\
                    <p>The UI is not built. Run <code>npm ci &amp;&amp; npm run build</code> in <code>ui/</code>, then rebuild.</p>";
        if let Err(e) = std::fs::create_dir_all(dist).and_then(|()| std::fs::write(&index, page)) {
            println!(
                "cargo::warning=could not write placeholder {}: {e}",
                index.display()
            );
        }
    }
    println!("cargo::rerun-if-changed=../ui/dist/index.html");
    tauri_build::build()
}
