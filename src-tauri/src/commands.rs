//! Tauri commands: thin wrappers that check the signed-in role, call the replica,
//! and shape the answer for the screens. Business rules stay in the device and
//! domain crates.

use serde::{Deserialize, Serialize};
use tauri::State;
use uuid::Uuid;
use wicket_device::{
    ItemView, RedemptionRecord, SaleReceipt, SalesTotal, SellRequest, Staff, Verdict,
};
use wicket_domain::{
    Action, Customer, Direction, DoorStats, Event, Item, RecipientRef, RewardOffer, StatusTier,
    normalize_email, tier_for,
};

use crate::error::{AppError, AppResult};
use crate::state::{AppState, Session};

/// Longest text accepted from the scan field (a token is ~200 characters).
const MAX_SCAN_TEXT: usize = 4_096;
/// Largest image accepted for a drop-to-scan, before base64.
const MAX_IMAGE_BYTES: usize = 20 * 1024 * 1024;
/// Search results shown at once.
const SEARCH_LIMIT: usize = 50;

// ------------------------------------------------------------------ views

/// A product as the box office grid shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProductView {
    pub id: Uuid,
    pub name: String,
    pub product_type: String,
    pub event_id: Option<Uuid>,
    /// Primary price as a decimal string ("49.00"); `None` when unpriced.
    pub price: Option<String>,
    pub currency: Option<String>,
    /// Units that can still be issued here (on an enrolled device: what is left of
    /// its allotments); `None` = unlimited.
    pub stock_left: Option<u64>,
    pub issued: u64,
    pub max_per_account: Option<u64>,
    pub on_sale: bool,
    pub is_transferable: bool,
}

/// One ticket of a sale: its token and the QR that carries it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TicketView {
    pub item: Uuid,
    pub item_id: u64,
    pub token: String,
    /// SVG document of the QR code.
    pub svg: String,
}

/// A completed sale.
#[derive(Debug, Clone, Serialize)]
pub struct SaleResult {
    pub receipt: SaleReceipt,
    pub product_name: String,
    pub buyer_email: String,
    pub tickets: Vec<TicketView>,
    /// Where the PDF with the receipt and the tickets was saved.
    pub pdf: Option<String>,
    /// Why no PDF was saved (the sale itself stands).
    pub pdf_error: Option<String>,
    /// The print job when a printer is set (no dialog), or why it failed.
    pub printed: Option<String>,
    pub print_error: Option<String>,
}

/// One line of an issue request and what happened to it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct IssueRow {
    pub input: String,
    /// `issued`, `invalid`, `unknown` (no such customer) or `not_issued`.
    pub status: String,
    pub item_id: Option<u64>,
    pub message: String,
}

/// The answer to an issue request: all lines issued, or none and why.
#[derive(Debug, Clone, Serialize)]
pub struct IssueResult {
    pub issued: usize,
    pub error: Option<AppError>,
    pub rows: Vec<IssueRow>,
}

/// An item with its history and its QR for reprinting.
#[derive(Debug, Clone, Serialize)]
pub struct ItemDetail {
    pub view: ItemView,
    pub is_transferable: bool,
    pub redemptions: Vec<RedemptionRecord>,
    pub ticket: Option<TicketView>,
    /// NFT state from head office's mint worker (`None`: the product does not mint,
    /// or the state has not been pulled yet).
    pub nft: Option<serde_json::Value>,
}

/// A customer, their tier, the reward offers and their items.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerView {
    pub customer: Customer,
    pub display_name: String,
    pub tier: Option<StatusTier>,
    pub offers: Vec<OfferView>,
    pub items: Vec<ItemView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OfferView {
    pub offer: RewardOffer,
    pub available: Option<u64>,
    pub affordable: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct RewardResult {
    pub customer: Customer,
    pub items: Vec<Item>,
}

/// One sale row for the sales list.
#[derive(Debug, Clone, Serialize)]
pub struct SaleRow {
    pub order_number: String,
    pub product_name: String,
    pub quantity: u32,
    pub currency: String,
    pub total: String,
    pub payment_method: String,
    pub created_at: i64,
    /// Money refunded so far ("0" when none) and how many tickets.
    pub refunded: String,
    pub refunded_items: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct SalesView {
    pub totals: Vec<SalesTotal>,
    pub recent: Vec<SaleRow>,
}

// ------------------------------------------------------------------ helpers

/// A recipient typed by a person: a user id (uuid) or an email.
pub fn parse_recipient(text: &str) -> AppResult<RecipientRef> {
    let t = text.trim();
    if t.is_empty() {
        return Err(AppError::invalid("enter an email or a user id"));
    }
    if let Ok(id) = Uuid::parse_str(t) {
        return Ok(RecipientRef::User(id));
    }
    Ok(RecipientRef::Email(normalize_email(t)?))
}

fn ticket_for(s: &Session, item: &Item) -> AppResult<TicketView> {
    let token = s.replica.ticket_token(item.id)?;
    let svg = wicket_ticket::render_svg(&token)?;
    Ok(TicketView {
        item: item.id,
        item_id: item.item_id,
        token,
        svg,
    })
}

fn item_view(s: &Session, id: Uuid) -> AppResult<ItemView> {
    s.replica
        .find_items(&id.to_string(), 1)?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::new("not_found", format!("item {id} not found")))
}

// ------------------------------------------------------------------ session

/// Who is signed in, if anyone.
#[tauri::command]
pub fn session(state: State<'_, AppState>) -> Option<Staff> {
    state.lock().staff.clone()
}

#[tauri::command]
pub fn sign_in(state: State<'_, AppState>, pin: String) -> AppResult<Staff> {
    let mut s = state.lock();
    let staff = s.replica.sign_in(pin.trim())?;
    s.replica.set_staff(Some(staff.id));
    *s.staff = Some(staff.clone());
    Ok(staff)
}

#[tauri::command]
pub fn sign_out(state: State<'_, AppState>) {
    let mut s = state.lock();
    s.replica.set_staff(None);
    *s.staff = None;
    drop(s);
    *state.manage_token.lock().unwrap_or_else(|p| p.into_inner()) = None;
}

#[tauri::command]
pub fn events(state: State<'_, AppState>) -> AppResult<Vec<Event>> {
    let s = state.lock();
    s.require(Action::Redeem, "events")?;
    Ok(s.replica.events()?)
}

// ------------------------------------------------------------------ door

/// Judge scanned text (keyboard-wedge scanner or pasted token) and redeem it.
#[tauri::command(rename_all = "snake_case")]
pub fn scan(
    state: State<'_, AppState>,
    text: String,
    gate: Option<String>,
    event: Option<Uuid>,
    direction: Option<Direction>,
) -> AppResult<Verdict> {
    let mut s = state.lock();
    s.require(Action::Redeem, "the door")?;
    if text.len() > MAX_SCAN_TEXT {
        return Err(AppError::invalid("scanned text is too long"));
    }
    let gate = gate.as_deref().map(str::trim).filter(|g| !g.is_empty());
    Ok(s.replica
        .scan_at(text.trim(), gate, event, direction.unwrap_or_default())?)
}

/// Decode a QR from an image file (base64 of its bytes) and judge it like a scan.
#[tauri::command(rename_all = "snake_case")]
pub fn scan_image(
    state: State<'_, AppState>,
    image_base64: String,
    gate: Option<String>,
    event: Option<Uuid>,
    direction: Option<Direction>,
) -> AppResult<Verdict> {
    {
        let s = state.lock();
        s.require(Action::Redeem, "the door")?;
    }
    if image_base64.len() > MAX_IMAGE_BYTES / 3 * 4 + 4 {
        return Err(AppError::new("image_too_large", "image file is too large"));
    }
    // Accept a data URL as the browser's FileReader produces it.
    let b64 = image_base64
        .split_once(";base64,")
        .map_or(image_base64.as_str(), |(_, b)| b);
    let bytes = data_encoding::BASE64
        .decode(b64.trim().as_bytes())
        .map_err(|e| AppError::invalid(format!("image is not valid base64: {e}")))?;
    // Decoding can take a while on a big photo: do it without holding the lock.
    let texts = wicket_ticket::decode_image_bytes(&bytes)?;
    let text = ticket_text(&texts)
        .ok_or_else(|| AppError::new("no_qr", "no QR code found in the image"))?;
    let mut s = state.lock();
    s.require(Action::Redeem, "the door")?;
    let gate = gate.as_deref().map(str::trim).filter(|g| !g.is_empty());
    Ok(s.replica
        .scan_at(text.trim(), gate, event, direction.unwrap_or_default())?)
}

/// Largest camera frame side accepted by `decode_frame`.
const MAX_FRAME_SIDE: u32 = 4096;

/// Decode the QR in one camera frame (8-bit grayscale, row-major, base64) without
/// judging it: the UI drops repeats of the code still in front of the camera and
/// then calls `scan` with the text. `None` when no code is readable.
#[tauri::command(rename_all = "snake_case")]
pub async fn decode_frame(
    state: State<'_, AppState>,
    width: u32,
    height: u32,
    gray_base64: String,
) -> AppResult<Option<String>> {
    {
        let s = state.lock();
        // A new laptop's first screen reads its enrollment code with the camera,
        // before there is anyone to sign in. Only asked when nobody at the door is
        // signed in, so a door's frames cost no query.
        if let Err(refused) = s.require(Action::Redeem, "the door") {
            let first_run = s.replica.sync_config()?.is_none() && s.replica.staff()?.is_empty();
            if !first_run {
                return Err(refused);
            }
        }
    }
    if width == 0 || height == 0 || width > MAX_FRAME_SIDE || height > MAX_FRAME_SIDE {
        return Err(AppError::invalid(format!(
            "frame size {width}x{height} is outside 1..{MAX_FRAME_SIDE}"
        )));
    }
    let pixels = data_encoding::BASE64
        .decode(gray_base64.trim().as_bytes())
        .map_err(|e| AppError::invalid(format!("frame is not valid base64: {e}")))?;
    if pixels.len() != width as usize * height as usize {
        return Err(AppError::invalid(format!(
            "frame has {} bytes, {width}x{height} needs {}",
            pixels.len(),
            width as usize * height as usize
        )));
    }
    // Decoding takes milliseconds to a few hundred: off the UI's thread and the lock.
    // The camera's frames go through one combiner: a frame that does not read on
    // its own is combined with the previous ones where the code was found.
    let frames = std::sync::Arc::clone(&state.frames);
    let texts = tauri::async_runtime::spawn_blocking(move || {
        frames
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .decode(width, height, &pixels)
    })
    .await
    .map_err(|e| AppError::new("decode_failed", format!("decoder stopped: {e}")))??;
    Ok(ticket_text(&texts).map(|t| t.trim().to_string()))
}

/// Of the codes decoded in one picture, the one to judge: a Wicket ticket if there
/// is one (a poster QR may share the frame), else the first, so the door can say
/// what is wrong with it.
fn ticket_text(texts: &[String]) -> Option<&String> {
    texts
        .iter()
        .find(|t| wicket_ticket::parse(t).is_ok())
        .or_else(|| texts.first())
}

// ------------------------------------------------------------------ box office

#[tauri::command]
pub fn products(state: State<'_, AppState>) -> AppResult<Vec<ProductView>> {
    let s = state.lock();
    s.require(Action::Sell, "products")?;
    let now = s.replica.now();
    // An enrolled device sells only from what head office reserved for it, so that
    // (not head office's own count) is the stock it can show.
    let reserved: Option<Vec<wicket_domain::Allotment>> = match s.replica.sync_config()? {
        Some(_) => Some(s.replica.allotments()?),
        None => None,
    };
    let out = s
        .replica
        .products()?
        .into_iter()
        .map(|(p, c)| {
            let stock_left = match &reserved {
                Some(allots) => Some(
                    allots
                        .iter()
                        .filter(|a| a.product_id == p.id && !a.is_expired(now))
                        .map(|a| a.units_left())
                        .sum(),
                ),
                None => p.issue_cap().map(|cap| cap.saturating_sub(c.issued)),
            };
            let price = p.primary_price();
            let in_window =
                p.start_sale_at.is_none_or(|t| now >= t) && p.end_sale_at.is_none_or(|t| now < t);
            ProductView {
                id: p.id,
                name: p.name.clone(),
                product_type: p.product_type.as_str().to_string(),
                event_id: p.event_id,
                price: price.map(|x| x.amount.to_string()),
                currency: price.map(|x| x.currency.clone()),
                stock_left,
                issued: c.issued,
                max_per_account: p.max_per_account,
                on_sale: p.active
                    && p.status == wicket_domain::ProductStatus::Published
                    && in_window,
                is_transferable: p.is_transferable,
            }
        })
        .collect();
    Ok(out)
}

/// Sell; answers the receipt and each ticket's token and QR.
#[tauri::command]
pub fn sell(state: State<'_, AppState>, req: SellRequest) -> AppResult<SaleResult> {
    let mut s = state.lock();
    s.require(Action::Sell, "the box office")?;
    let receipt = s.replica.sell(&req)?;
    let (product, _) = s.replica.product(receipt.sale.product_id)?;
    let tickets = receipt
        .items
        .iter()
        .map(|i| ticket_for(&s, i))
        .collect::<AppResult<Vec<_>>>()?;
    let buyer_email = s
        .replica
        .customer(&RecipientRef::User(receipt.sale.buyer_id))
        .map(|c| c.email)
        .unwrap_or_default();
    // The sale is committed: a full disk or a jammed printer must not make it
    // look failed, so both only report.
    let (pdf, pdf_error) = match s
        .replica
        .receipt_pdf(&receipt.sale.order_number, state.export_dir())
    {
        Ok(p) => (Some(p), None),
        Err(e) => {
            tracing::warn!(code = e.code(), error = %e, "sale PDF not saved");
            (None, Some(e.to_string()))
        }
    };
    let (printed, print_error) = match &pdf {
        Some(p) => match s
            .replica
            .print_file(p, &format!("wicket-order-{}", receipt.sale.order_number))
        {
            Ok(job) => (job, None),
            Err(e) => {
                tracing::warn!(error = %e, "receipt not printed");
                (None, Some(e.to_string()))
            }
        },
        None => (None, None),
    };
    let pdf = pdf.map(|p| p.display().to_string());
    Ok(SaleResult {
        receipt,
        product_name: product.name,
        buyer_email,
        tickets,
        pdf,
        pdf_error,
        printed,
        print_error,
    })
}

/// Issue one item of a product to each listed recipient (emails or user ids, one
/// per entry, at most 550). All or nothing: an invalid line stops the whole batch.
#[tauri::command(rename_all = "snake_case")]
pub fn issue(
    state: State<'_, AppState>,
    product_id: Uuid,
    recipients: Vec<String>,
) -> AppResult<IssueResult> {
    let mut s = state.lock();
    s.require(Action::Issue, "issuing")?;
    let lines: Vec<String> = recipients
        .iter()
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .collect();
    let parsed: Vec<(String, AppResult<RecipientRef>)> = lines
        .into_iter()
        .map(|l| {
            let r = parse_recipient(&l);
            (l, r)
        })
        .collect();
    if parsed.iter().any(|(_, r)| r.is_err()) {
        let rows = parsed
            .into_iter()
            .map(|(input, r)| match r {
                Ok(_) => IssueRow {
                    input,
                    status: "not_issued".into(),
                    item_id: None,
                    message: "not issued: fix the invalid lines first".into(),
                },
                Err(e) => IssueRow {
                    input,
                    status: "invalid".into(),
                    item_id: None,
                    message: e.message,
                },
            })
            .collect();
        return Ok(IssueResult {
            issued: 0,
            error: Some(AppError::invalid("some lines are not emails or user ids")),
            rows,
        });
    }
    let refs: Vec<(String, RecipientRef)> = parsed
        .into_iter()
        .filter_map(|(l, r)| r.ok().map(|r| (l, r)))
        .collect();
    let users: Vec<Uuid> = refs
        .iter()
        .filter_map(|(_, r)| match r {
            RecipientRef::User(u) => Some(*u),
            RecipientRef::Email(_) => None,
        })
        .collect();
    let emails: Vec<String> = refs
        .iter()
        .filter_map(|(_, r)| match r {
            RecipientRef::Email(e) => Some(e.clone()),
            RecipientRef::User(_) => None,
        })
        .collect();
    match s.replica.issue(product_id, &users, &emails) {
        Err(e) => {
            let err = AppError::from(e);
            let rows = refs
                .into_iter()
                .map(|(input, r)| {
                    let known = s.replica.customer(&r).is_ok();
                    IssueRow {
                        input,
                        status: if known { "not_issued" } else { "unknown" }.into(),
                        item_id: None,
                        message: if known {
                            format!("not issued: {}", err.message)
                        } else {
                            "no customer with this email or id".into()
                        },
                    }
                })
                .collect();
            Ok(IssueResult {
                issued: 0,
                error: Some(err),
                rows,
            })
        }
        Ok(items) => {
            let mut left = items;
            let issued = left.len();
            let mut rows = Vec::with_capacity(refs.len());
            for (input, r) in refs {
                let owner = s.replica.customer(&r).ok().map(|c| c.id);
                let pos = owner.and_then(|o| left.iter().position(|i| i.owner_id == o));
                let item = pos.map(|p| left.remove(p));
                rows.push(IssueRow {
                    input,
                    status: "issued".into(),
                    item_id: item.as_ref().map(|i| i.item_id),
                    message: match &item {
                        Some(i) => format!("issued #{}", i.item_id),
                        None => "issued".into(),
                    },
                });
            }
            Ok(IssueResult {
                issued,
                error: None,
                rows,
            })
        }
    }
}

// ------------------------------------------------------------------ items

#[tauri::command]
pub fn find_items(state: State<'_, AppState>, query: String) -> AppResult<Vec<ItemView>> {
    let s = state.lock();
    s.require(Action::SearchItems, "item search")?;
    Ok(s.replica.find_items(&query, SEARCH_LIMIT)?)
}

/// Live door numbers from every door this replica has heard of.
#[tauri::command]
pub fn door_stats(state: State<'_, AppState>, since: Option<i64>) -> AppResult<DoorStats> {
    let s = state.lock();
    s.require(Action::Redeem, "door numbers")?;
    Ok(s.replica.door_stats(since.unwrap_or(0))?)
}

/// Door search: the door role finds guests too (not only the box office).
#[tauri::command]
pub fn door_search(state: State<'_, AppState>, query: String) -> AppResult<Vec<ItemView>> {
    let s = state.lock();
    s.require(Action::Redeem, "door search")?;
    Ok(s.replica.find_items(&query, SEARCH_LIMIT)?)
}

/// Check a guest in by hand, with the reason (audited at head office).
#[tauri::command]
pub fn check_in(
    state: State<'_, AppState>,
    item: Uuid,
    gate: Option<String>,
    reason: String,
) -> AppResult<ItemView> {
    let mut s = state.lock();
    s.require(Action::Redeem, "manual check-in")?;
    s.replica.check_in(item, gate.as_deref(), &reason)?;
    item_view(&s, item)
}

#[tauri::command]
pub fn item_detail(state: State<'_, AppState>, item: Uuid) -> AppResult<ItemDetail> {
    let s = state.lock();
    s.require(Action::SearchItems, "item details")?;
    let view = item_view(&s, item)?;
    let (product, _) = s.replica.product(view.item.product_id)?;
    let redemptions = s.replica.redemptions_of(item)?;
    // A reprint QR is a convenience; an item whose token cannot be made still shows.
    let ticket = ticket_for(&s, &view.item).ok();
    let nft = s.replica.item_nft(item)?;
    Ok(ItemDetail {
        view,
        is_transferable: product.is_transferable,
        redemptions,
        ticket,
        nft,
    })
}

/// Revoke an item (manager): its ticket is refused at this door now and at every
/// door once the revocation has synced.
#[tauri::command]
pub fn revoke(state: State<'_, AppState>, item: Uuid, reason: String) -> AppResult<ItemView> {
    let mut s = state.lock();
    s.require(Action::Revoke, "revoking items")?;
    s.replica.revoke_item(item, &reason)?;
    item_view(&s, item)
}

#[tauri::command]
pub fn transfer(
    state: State<'_, AppState>,
    item: Uuid,
    from: String,
    to: String,
) -> AppResult<ItemView> {
    let mut s = state.lock();
    s.require(Action::Transfer, "transfers")?;
    let from = parse_recipient(&from)?;
    let to = parse_recipient(&to)?;
    s.replica.transfer(item, &from, &to)?;
    item_view(&s, item)
}

// ------------------------------------------------------------------ rewards

#[tauri::command]
pub fn customer(state: State<'_, AppState>, query: String) -> AppResult<CustomerView> {
    let s = state.lock();
    s.require(Action::RewardRedeem, "rewards")?;
    let who = parse_recipient(&query)?;
    let customer = s.replica.customer(&who)?;
    let tiers = s.replica.tiers()?;
    let tier = tier_for(customer.status_balance, &tiers).cloned();
    let offers = s
        .replica
        .reward_offers()?
        .into_iter()
        // An offer that grants nothing yet (PERS, before its token unit) is not
        // redeemable: not shown at the counter.
        .filter(|o| o.active && o.grants.is_some())
        .map(|o| OfferView {
            available: o.available(),
            affordable: customer.credits >= o.credit_cost,
            offer: o,
        })
        .collect();
    let items = s
        .replica
        .find_items(&customer.email, SEARCH_LIMIT)
        .unwrap_or_default();
    Ok(CustomerView {
        display_name: customer.display_name(),
        customer,
        tier,
        offers,
        items,
    })
}

#[tauri::command]
pub fn redeem_reward(
    state: State<'_, AppState>,
    offer: Uuid,
    who: String,
) -> AppResult<RewardResult> {
    let mut s = state.lock();
    s.require(Action::RewardRedeem, "rewards")?;
    let who = parse_recipient(&who)?;
    let (customer, items) = s.replica.redeem_reward(offer, &who)?;
    Ok(RewardResult { customer, items })
}

// ------------------------------------------------------------------ sales

#[tauri::command]
pub fn sales(state: State<'_, AppState>) -> AppResult<SalesView> {
    let s = state.lock();
    s.require(Action::ViewSales, "sales")?;
    let totals = s.replica.sales_totals()?;
    let names: std::collections::HashMap<Uuid, String> = totals
        .iter()
        .map(|t| (t.product_id, t.product_name.clone()))
        .collect();
    let mut refunded: std::collections::HashMap<Uuid, (wicket_domain::Decimal, usize)> =
        std::collections::HashMap::new();
    for r in s.replica.refunds()? {
        let e = refunded.entry(r.sale_id).or_default();
        e.0 += r.amount;
        e.1 += r.item_ids.len();
    }
    let recent = s
        .replica
        .sales(None)?
        .into_iter()
        .take(200)
        .map(|x| SaleRow {
            refunded: refunded
                .get(&x.id)
                .map_or_else(|| "0".to_string(), |r| r.0.to_string()),
            refunded_items: refunded.get(&x.id).map_or(0, |r| r.1),
            order_number: x.order_number,
            product_name: names.get(&x.product_id).cloned().unwrap_or_default(),
            quantity: x.quantity,
            currency: x.currency,
            total: x.total.to_string(),
            payment_method: x.payment_method.as_str().to_string(),
            created_at: x.created_at,
        })
        .collect();
    Ok(SalesView { totals, recent })
}
