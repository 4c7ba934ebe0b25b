//! Tauri commands of the box office's money after the sale: refunds and the cash
//! drawer session (open, X report, close with the Z report saved as PDF).

use serde::Serialize;
use tauri::State;
use wicket_device::SellRequest;
use wicket_domain::{Action, CashSession, Payment, Refund, SessionReport, parse_price};

use crate::error::AppResult;
use crate::state::AppState;

/// The drawer as the Box office screen shows it.
#[derive(Debug, Clone, Serialize)]
pub struct DrawerView {
    pub open: Option<CashSession>,
    /// The X report while open, else the last Z report (if any).
    pub report: Option<SessionReport>,
    /// Where the Z report PDF was saved (on close).
    pub pdf: Option<String>,
    /// Its print job when a printer is set, or why printing failed.
    pub printed: Option<String>,
    pub print_error: Option<String>,
}

fn drawer_view(r: &wicket_device::Replica, pdf: Option<String>) -> AppResult<DrawerView> {
    let open = r.open_session_now()?;
    let report = match r.session_report() {
        Ok(rep) => Some(rep),
        Err(e) if e.code() == "no_open_session" => None,
        Err(e) => return Err(e.into()),
    };
    Ok(DrawerView {
        open,
        report,
        pdf,
        printed: None,
        print_error: None,
    })
}

#[tauri::command]
pub fn drawer(state: State<'_, AppState>) -> AppResult<DrawerView> {
    let s = state.lock();
    s.require(Action::Sell, "the cash drawer")?;
    drawer_view(&s.replica, None)
}

#[tauri::command]
pub fn drawer_open(
    state: State<'_, AppState>,
    float: String,
    currency: Option<String>,
) -> AppResult<DrawerView> {
    let mut s = state.lock();
    s.require(Action::Sell, "the cash drawer")?;
    let float = parse_price(&float)?;
    s.replica
        .open_session(float, currency.as_deref().unwrap_or("EUR"))?;
    drawer_view(&s.replica, None)
}

#[tauri::command]
pub fn drawer_close(state: State<'_, AppState>, counted: String) -> AppResult<DrawerView> {
    let mut s = state.lock();
    s.require(Action::Sell, "the cash drawer")?;
    let counted = parse_price(&counted)?;
    let report = s.replica.close_session(counted)?;
    // The session is closed: a PDF or printer failure only reports.
    let pdf = s.replica.report_pdf(&report, state.export_dir());
    let mut view = drawer_view(
        &s.replica,
        pdf.as_ref().ok().map(|p| p.display().to_string()),
    )?;
    match &pdf {
        Ok(p) => match s.replica.print_file(p, "wicket-z-report") {
            Ok(job) => view.printed = job,
            Err(e) => view.print_error = Some(e.to_string()),
        },
        Err(e) => view.print_error = Some(e.to_string()),
    }
    Ok(view)
}

/// Refund an order: this device's own at once (offline too); another device's
/// through head office when online (`refund_needs_head_office` otherwise).
#[tauri::command]
pub async fn refund(
    state: State<'_, AppState>,
    order: String,
    items: Option<Vec<u64>>,
    reason: String,
) -> AppResult<Refund> {
    let items = items.unwrap_or_default();
    let local = {
        let mut s = state.lock();
        s.require(Action::Refund, "refunds")?;
        s.replica.refund(&order, &items, &reason)
    };
    match (local, state.engine()) {
        (Err(e), Some(engine)) if e.code() == "refund_needs_head_office" => {
            Ok(engine.refund_online(&order, &items, &reason).await?)
        }
        (local, _) => Ok(local?),
    }
}

/// What a sale would come to, before it is completed: the exact total (with the
/// buyer's tier discount), how it is paid, and the change due.
#[derive(Debug, Clone, Serialize)]
pub struct QuoteView {
    pub total: String,
    pub currency: String,
    pub discount: String,
    pub payments: Vec<Payment>,
    pub change: Option<String>,
}

#[tauri::command]
pub fn quote(state: State<'_, AppState>, req: SellRequest) -> AppResult<QuoteView> {
    let mut s = state.lock();
    s.require(Action::Sell, "the box office")?;
    let r = s.replica.quote(&req)?;
    Ok(QuoteView {
        total: r.quote.total.to_string(),
        currency: r.quote.currency.clone(),
        discount: r.quote.discount.to_string(),
        payments: r.sale.paid_by(),
        change: r.change.map(|c| c.to_string()),
    })
}

#[tauri::command]
pub fn printer(state: State<'_, AppState>) -> AppResult<Option<String>> {
    Ok(state.lock().replica.printer()?)
}

/// Choose the CUPS queue receipts and reports print on (manager); empty: none.
#[tauri::command]
pub fn set_printer(state: State<'_, AppState>, queue: Option<String>) -> AppResult<Option<String>> {
    let mut s = state.lock();
    s.require(Action::ChangeSettings, "settings")?;
    s.replica.set_printer(queue.as_deref())?;
    Ok(s.replica.printer()?)
}
