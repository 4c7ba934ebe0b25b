//! Issuing items: head office numbering them (API issue, sale, claim, reward) or a
//! device having numbered them offline from its allotments. Both end in the same
//! insert, which also queues mints and counts scans that arrived before the items.

use std::collections::HashMap;

use uuid::Uuid;
use wicket_domain::{
    self as domain, Allotment, Customer, DomainError, Item, ItemOrigin, PlannedItem, Product,
    ProductCounters, RecipientRef, Timestamp,
};

use crate::error::{Error, Result};
use crate::storage::{NewItemRow, Tx, UserKey};
use crate::usecase::scan::settle_pending;

/// The product and its counters, or `not_found`.
pub fn product(tx: &dyn Tx, id: Uuid) -> Result<(Product, ProductCounters)> {
    tx.product(id)?
        .ok_or_else(|| Error::not_found(format!("product {id}")))
}

/// What an issue handed out: the items, and their owners by id.
#[derive(Debug, Clone)]
pub struct Issued {
    pub product: Product,
    pub items: Vec<Item>,
    pub owners: HashMap<Uuid, Customer>,
}

/// `POST /v1/products/{id}/items`: one item to each recipient (1–550, users and
/// emails together), all or nothing.
pub fn issue(
    tx: &dyn Tx,
    product_id: Uuid,
    users: &[Uuid],
    emails: &[String],
    at: Timestamp,
) -> Result<Issued> {
    let refs = domain::recipient_batch(users, emails)?;
    let (product, counters) = product(tx, product_id)?;
    // Every recipient in a few queries, not one per recipient.
    let distinct = first_of_each(refs.iter().cloned());
    let ids: Vec<Uuid> = distinct
        .iter()
        .filter_map(|r| match r {
            RecipientRef::User(u) => Some(*u),
            RecipientRef::Email(_) => None,
        })
        .collect();
    let aliases = tx.aliases_of(&ids)?;
    let keys: Vec<UserKey> = distinct
        .iter()
        .map(|r| match r {
            RecipientRef::User(u) => UserKey::Id(aliases.get(u).copied().unwrap_or(*u)),
            RecipientRef::Email(e) => UserKey::Email(e.clone()),
        })
        .collect();
    let mut known: HashMap<RecipientRef, Customer> = HashMap::new();
    for (r, c) in distinct.into_iter().zip(tx.customers(&keys)?) {
        if let Some(c) = c {
            known.insert(r, c);
        }
    }
    let recipients = domain::resolve_recipients(&refs, |r| known.get(r).cloned())?;
    let (holdings, owners) = holdings_of(tx, product_id, &recipients)?;
    let plan = domain::plan_issue(&product, &counters, &recipients, &holdings, at)?;
    let items = store_planned(tx, &product, &counters, &plan, ItemOrigin::Issue, None, at)?;
    Ok(Issued {
        product,
        items,
        owners,
    })
}

/// Each value once, in first-seen order (a batch names up to thousands).
fn first_of_each<T: Clone + Eq + std::hash::Hash>(all: impl Iterator<Item = T>) -> Vec<T> {
    let mut seen = std::collections::HashSet::new();
    all.filter(|v| seen.insert(v.clone())).collect()
}

/// Current holdings of each distinct recipient, and the recipients by id.
pub fn holdings_of(
    tx: &dyn Tx,
    product: Uuid,
    recipients: &[Customer],
) -> Result<(HashMap<Uuid, u64>, HashMap<Uuid, Customer>)> {
    let mut owners: HashMap<Uuid, Customer> = HashMap::new();
    let mut ids = Vec::new();
    for c in recipients {
        if let std::collections::hash_map::Entry::Vacant(e) = owners.entry(c.id) {
            ids.push(c.id);
            e.insert(c.clone());
        }
    }
    Ok((tx.holdings(product, &ids)?, owners))
}

/// Items head office numbered (a plan from `wicket_domain`): materialize, insert,
/// advance the product's counters.
pub fn store_planned(
    tx: &dyn Tx,
    product: &Product,
    counters: &ProductCounters,
    plan: &[PlannedItem],
    origin: ItemOrigin,
    origin_ref: Option<&str>,
    at: Timestamp,
) -> Result<Vec<Item>> {
    let items = domain::materialize(product, plan, origin, at, Uuid::new_v4);
    let rows: Vec<NewItemRow> = items
        .iter()
        .map(|i| NewItemRow {
            item: i.clone(),
            origin_ref: origin_ref.map(str::to_string),
        })
        .collect();
    tx.insert_items(product, &rows)?;
    tx.save_counters(product.id, &domain::advance(counters, plan))?;
    Ok(items)
}

/// The largest item number a device may send (far beyond any venue's stock, well
/// inside every backend's integer columns).
pub const MAX_ITEM_NUMBER: u64 = 1 << 48;

/// An item a device created offline: its id, its number and its owner.
pub type DeviceItem = (Uuid, u64, Uuid);

/// Items a device created with its own ids and numbers, under the same issue rules:
/// each from the device's allotment whose range holds its number (a sale may draw on
/// several), the rest against the product's remaining stock. Scans of these items
/// that arrived before them are counted now. Answers when the earliest allotment
/// the items came from was granted (a sale is priced from then on).
#[allow(clippy::too_many_arguments)]
pub fn device_items(
    tx: &dyn Tx,
    device: Uuid,
    product_id: Uuid,
    items: &[DeviceItem],
    origin: ItemOrigin,
    origin_ref: Option<&str>,
    at: Timestamp,
) -> Result<Option<Timestamp>> {
    let (product, start) = product(tx, product_id)?;
    if let Some((_, n, _)) = items
        .iter()
        .find(|(_, n, _)| *n == 0 || *n > MAX_ITEM_NUMBER)
    {
        return Err(Error::InvalidRequest(format!(
            "item number {n} is out of range (1..={MAX_ITEM_NUMBER})"
        )));
    }
    // A device numbers only from ranges head office allotted it (released ones
    // too: a sale made before its allotment expired is still good). Anything else
    // would take numbers head office hands out, or push its counter to the end.
    let ranges = tx.device_ranges(device, product_id)?;
    if let Some((_, n, _)) = items
        .iter()
        .find(|(_, n, _)| !ranges.iter().any(|r| (r.first..=r.last).contains(n)))
    {
        return Err(DomainError::NotAllotted(*n).into());
    }
    let granted = ranges
        .iter()
        .filter(|r| items.iter().any(|(_, n, _)| (r.first..=r.last).contains(n)))
        .filter_map(|r| r.granted_at)
        .min();
    let aliases = tx.aliases_of(&first_of_each(items.iter().map(|(_, _, o)| *o)))?;
    let items: Vec<DeviceItem> = items
        .iter()
        .map(|(i, n, o)| (*i, *n, aliases.get(o).copied().unwrap_or(*o)))
        .collect();
    let ids = first_of_each(items.iter().map(|(_, _, o)| *o));
    let keys: Vec<UserKey> = ids.iter().map(|o| UserKey::Id(*o)).collect();
    let mut owners: HashMap<Uuid, Customer> = HashMap::new();
    for (o, c) in ids.iter().zip(tx.customers(&keys)?) {
        let c =
            c.ok_or_else(|| Error::Domain(DomainError::UnknownRecipient(vec![o.to_string()])))?;
        owners.insert(c.id, c);
    }
    let mut holdings = tx.holdings(product_id, &ids)?;
    let allotments = tx.device_allotments(device, product_id)?;
    // Group the items by the allotment whose range holds their number.
    let mut groups: Vec<(Option<Allotment>, Vec<&DeviceItem>)> = Vec::new();
    for it in &items {
        let a = allotments
            .iter()
            .find(|a| a.contains_item_id(it.1))
            .copied();
        match groups
            .iter_mut()
            .find(|(g, _)| g.map(|x| x.id) == a.map(|x| x.id))
        {
            Some((_, v)) => v.push(it),
            None => groups.push((a, vec![it])),
        }
    }
    let mut counters = start;
    for (a, group) in &groups {
        let recipients: Vec<Customer> = group
            .iter()
            .map(|(_, _, o)| owners.get(o).cloned())
            .collect::<Option<_>>()
            .ok_or_else(|| Error::Storage("item owner not loaded".into()))?;
        let n = group.len() as u64;
        match a {
            Some(a) => {
                let (p, c) = a.issue_view(&product);
                domain::plan_issue(&p, &c, &recipients, &holdings, at)?;
                let taken = a.take(n, at)?;
                tx.set_allotment_used(a.id, taken.used)?;
            }
            None => {
                domain::plan_issue(&product, &counters, &recipients, &holdings, at)?;
                let max_id = group.iter().map(|i| i.1).max().unwrap_or(0);
                counters = ProductCounters {
                    issued: counters.issued.saturating_add(n),
                    next_item_id: counters.next_item_id.max(max_id.saturating_add(1)),
                };
            }
        }
        // Later groups see what this one handed out (max_per_account spans them).
        for c in &recipients {
            *holdings.entry(c.id).or_insert(0) += 1;
        }
    }
    if counters != start {
        tx.save_counters(product_id, &counters)?;
    }
    let rows: Vec<NewItemRow> = items
        .iter()
        .map(|(id, number, owner)| NewItemRow {
            item: Item {
                id: *id,
                product_id,
                item_id: *number,
                owner_id: *owner,
                redemption_count: 0,
                redemption_quantity: product.redemption_quantity,
                redeemed_at: None,
                origin,
                revoked: false,
                created_at: at,
            },
            origin_ref: origin_ref.map(str::to_string),
        })
        .collect();
    tx.insert_items(&product, &rows)?;
    let ids: Vec<Uuid> = items.iter().map(|i| i.0).collect();
    settle_pending(tx, &ids)?;
    Ok(granted)
}
