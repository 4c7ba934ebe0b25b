//! Wicket's desktop shell: a Tauri 2 app whose commands are thin wrappers over the
//! device replica (`wicket-device`). It opens the replica file, keeps it behind a
//! mutex together with the signed-in staff member, and serves the door, box office,
//! issue, items, rewards, sales and sync screens of the web UI in `ui/`. Every
//! failure reaches the UI as `{code, message}` with the device's stable codes.
#![forbid(unsafe_code)]

pub mod commands;
pub mod error;
pub mod export;
pub mod lan;
pub mod manage;
pub mod state;
pub mod sync;
pub mod till;

use std::path::PathBuf;

use tauri::Manager;

pub use error::{AppError, AppResult};
pub use state::{AppState, open_replica};

/// Environment variable naming the replica file (overrides the app-data dir).
pub const ENV_DB: &str = "WICKET_DB";
/// Environment variable that installs the demo into an empty replica when `1`.
pub const ENV_DEMO: &str = "WICKET_DEMO";
/// File name of the replica inside the app-data dir.
pub const DB_FILE: &str = "wicket.db";

/// Whether `WICKET_DEMO=1` is set.
pub fn demo_requested() -> bool {
    std::env::var(ENV_DEMO).is_ok_and(|v| v.trim() == "1")
}

/// The replica path from `WICKET_DB`, if set and not empty.
pub fn db_from_env() -> Option<PathBuf> {
    std::env::var_os(ENV_DB)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Register every command on a builder (shared by the app and the tests).
pub fn with_commands<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        commands::session,
        commands::sign_in,
        commands::sign_out,
        commands::events,
        commands::scan,
        commands::scan_image,
        commands::decode_frame,
        commands::products,
        commands::sell,
        commands::issue,
        commands::find_items,
        commands::door_search,
        commands::door_stats,
        commands::check_in,
        commands::item_detail,
        commands::transfer,
        commands::revoke,
        commands::customer,
        commands::redeem_reward,
        commands::sales,
        till::drawer,
        till::drawer_open,
        till::drawer_close,
        till::refund,
        till::quote,
        till::printer,
        till::set_printer,
        manage::manage_status,
        manage::manage_sign_in,
        manage::manage,
        manage::qr_svg,
        lan::lan_status,
        lan::set_lan_peers,
        export::export,
        export::save_claim_codes,
        sync::app_info,
        sync::enroll,
        sync::sync_status,
        sync::sync_now,
        sync::sync_conflicts,
    ])
}

/// Let the door screen use a camera where one exists: WebKitGTK ships with media
/// streams off and denies unanswered permission requests. Only this app's own UI is
/// ever loaded, so its camera request is granted; every other request is left to
/// the default.
fn enable_camera<R: tauri::Runtime>(w: &tauri::WebviewWindow<R>) {
    let r = w.with_webview(|wv| {
        #[cfg(target_os = "linux")]
        {
            use webkit2gtk::glib::prelude::ObjectExt;
            use webkit2gtk::{PermissionRequestExt, SettingsExt, WebViewExt};
            let view = wv.inner();
            if let Some(settings) = WebViewExt::settings(&view) {
                settings.set_enable_media_stream(true);
            }
            view.connect_permission_request(|_, req| {
                if req.is::<webkit2gtk::UserMediaPermissionRequest>() {
                    req.allow();
                    true
                } else {
                    false
                }
            });
        }
        #[cfg(not(target_os = "linux"))]
        let _ = wv;
    });
    if let Err(e) = r {
        tracing::warn!(error = %e, "camera setup skipped");
    }
}

/// Start the app: open the replica in the app-data dir (or `WICKET_DB`), start
/// syncing when it is enrolled, then run the window until it closes.
pub fn run() -> Result<(), String> {
    // Logs go to stderr; `RUST_LOG` overrides the level.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let builder = with_commands(tauri::Builder::default()).setup(|app| {
        let data_dir = app.path().app_data_dir()?;
        let path = match db_from_env() {
            Some(p) => p,
            None => {
                std::fs::create_dir_all(&data_dir)?;
                data_dir.join(DB_FILE)
            }
        };
        let export_dir = app.path().download_dir().unwrap_or(data_dir);
        let demo = demo_requested();
        let (replica, installed) = open_replica(&path, demo)?;
        if installed {
            tracing::info!(db = %path.display(), "installed the demo");
        }
        let enrolled = replica.sync_config()?.is_some();
        tracing::info!(db = %path.display(), device = %replica.device_id(), enrolled, "replica open");
        app.manage(
            AppState::new(replica, export_dir)
                .with_demo(demo)
                .with_preset(sync::preset_from_env()),
        );
        if let Some(w) = app.get_webview_window("main") {
            enable_camera(&w);
        }
        if enrolled {
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                if let Err(e) = sync::start_engine(&handle).await {
                    tracing::error!(code = %e.code, error = %e.message, "sync engine did not start");
                }
            });
        }
        Ok(())
    });
    let app = builder
        .build(tauri::generate_context!())
        .map_err(|e| e.to_string())?;
    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event {
            handle.state::<AppState>().stop_sync();
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests;
