//! Exports of what this replica holds — sales, items, redemptions, cash sessions,
//! totals — for a date range, as CSV or an `.xlsx` workbook. The app and `wicket export`
//! both call [`Replica::export`]; a manager's act (`ViewSales`).

use std::str::FromStr;

use rusqlite::params;
use wicket_domain::{Action, Timestamp};

use crate::error::{DeviceError, Result};
use crate::replica::Replica;

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportKind {
    Sales,
    Items,
    Redemptions,
    Sessions,
    /// Sums per product, currency and payment method of the range's sales and refunds.
    Totals,
}

impl ExportKind {
    pub const ALL: [ExportKind; 5] = [
        ExportKind::Sales,
        ExportKind::Items,
        ExportKind::Redemptions,
        ExportKind::Sessions,
        ExportKind::Totals,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::Sales => "sales",
            ExportKind::Items => "items",
            ExportKind::Redemptions => "redemptions",
            ExportKind::Sessions => "sessions",
            ExportKind::Totals => "totals",
        }
    }
}

impl FromStr for ExportKind {
    type Err = DeviceError;
    fn from_str(s: &str) -> Result<Self> {
        ExportKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                DeviceError::Invalid(format!(
                    "unknown export {s:?}: sales, items, redemptions, sessions or totals"
                ))
            })
    }
}

/// Which file to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl FromStr for ExportFormat {
    type Err = DeviceError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "csv" => Ok(ExportFormat::Csv),
            "xlsx" => Ok(ExportFormat::Xlsx),
            _ => Err(DeviceError::Invalid(format!(
                "unknown format {s:?}: csv or xlsx"
            ))),
        }
    }
}

/// A header and rows of text cells (money as exact decimal strings).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Table {
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

const SALES: &str = "SELECT s.order_number, s.created_at, p.name, s.quantity, s.currency,
        s.unit_price, s.discount, s.total, s.payment_method, COALESCE(s.payments, ''),
        COALESCE(c.email, ''), lower(hex(s.device_id)), COALESCE(st.name, '')
    FROM sales s
    LEFT JOIN products p ON p.id = s.product_id
    LEFT JOIN customers c ON c.id = s.buyer_id
    LEFT JOIN staff st ON st.id = s.staff_id
    WHERE s.created_at >= ?1 AND s.created_at < ?2
    ORDER BY s.created_at, s.order_number";

const ITEMS: &str = "SELECT p.name, i.item_id, COALESCE(c.email, ''), i.origin, i.created_at,
        i.redemption_count, i.redemption_quantity, i.redeemed_at, i.revoked,
        EXISTS (SELECT 1 FROM refunded_items r WHERE r.item = i.id), lower(hex(i.id))
    FROM items i
    LEFT JOIN products p ON p.id = i.product_id
    LEFT JOIN customers c ON c.id = i.owner_id
    WHERE i.created_at >= ?1 AND i.created_at < ?2
    ORDER BY i.created_at, p.name, i.item_id";

const REDEMPTIONS: &str = "SELECT r.redeemed_at, p.name, i.item_id, COALESCE(r.gate, ''),
        lower(hex(r.device_id)), COALESCE(st.name, ''), COALESCE(c.email, '')
    FROM redemptions r
    JOIN items i ON i.id = r.item
    LEFT JOIN products p ON p.id = i.product_id
    LEFT JOIN customers c ON c.id = i.owner_id
    LEFT JOIN staff st ON st.id = r.staff_id
    WHERE r.redeemed_at >= ?1 AND r.redeemed_at < ?2
    ORDER BY r.redeemed_at, p.name, i.item_id";

const SESSIONS: &str = "SELECT cs.opened_at, cs.closed_at, lower(hex(cs.device_id)),
        COALESCE(o.name, ''), cs.currency, cs.float, COALESCE(cs.counted, ''),
        COALESCE(cl.name, '')
    FROM cash_sessions cs
    LEFT JOIN staff o ON o.id = cs.staff_id
    LEFT JOIN staff cl ON cl.id = cs.closed_by
    WHERE cs.opened_at >= ?1 AND cs.opened_at < ?2
    ORDER BY cs.opened_at";

/// `unix` seconds as an ISO 8601 UTC time, or empty.
fn when(unix: Option<i64>) -> String {
    unix.and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
            ))
            .ok()
        })
        .unwrap_or_default()
}

/// A hex blob column as a hyphenated UUID (the form every other screen shows).
fn uuid_hex(hex: String) -> String {
    uuid::Uuid::try_parse(&hex)
        .map(|u| u.to_string())
        .unwrap_or(hex)
}

impl Replica {
    /// The rows of `kind` dated in `[from, to)` (unix seconds), oldest first.
    pub fn export(&self, kind: ExportKind, from: Timestamp, to: Timestamp) -> Result<Table> {
        self.authorize(Action::ViewSales)?;
        if to <= from {
            return Err(DeviceError::Rule(wicket_domain::DomainError::field(
                "to",
                "the range must end after it starts",
            )));
        }
        let c = &self.conn;
        let (header, rows): (Vec<&'static str>, Vec<Vec<String>>) = match kind {
            ExportKind::Sales => {
                let mut st = c.prepare(SALES)?;
                let rows = st.query_map(params![from, to], |r| {
                    Ok(vec![
                        r.get::<_, String>(0)?,
                        when(r.get(1)?),
                        r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                        r.get::<_, i64>(3)?.to_string(),
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                        r.get(8)?,
                        r.get(9)?,
                        r.get(10)?,
                        uuid_hex(r.get(11)?),
                        r.get(12)?,
                    ])
                })?;
                (
                    vec![
                        "order_number",
                        "sold_at",
                        "product",
                        "quantity",
                        "currency",
                        "unit_price",
                        "discount",
                        "total",
                        "payment_method",
                        "payments",
                        "buyer_email",
                        "device_id",
                        "staff",
                    ],
                    rows.collect::<rusqlite::Result<_>>()?,
                )
            }
            ExportKind::Items => {
                let mut st = c.prepare(ITEMS)?;
                let rows = st.query_map(params![from, to], |r| {
                    Ok(vec![
                        r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                        r.get::<_, i64>(1)?.to_string(),
                        r.get(2)?,
                        r.get(3)?,
                        when(r.get(4)?),
                        r.get::<_, i64>(5)?.to_string(),
                        r.get::<_, i64>(6)?.to_string(),
                        when(r.get(7)?),
                        yes_no(r.get(8)?),
                        yes_no(r.get(9)?),
                        uuid_hex(r.get(10)?),
                    ])
                })?;
                (
                    vec![
                        "product",
                        "item_number",
                        "owner_email",
                        "origin",
                        "issued_at",
                        "redemptions",
                        "redemption_quantity",
                        "last_redeemed_at",
                        "revoked",
                        "refunded",
                        "item_id",
                    ],
                    rows.collect::<rusqlite::Result<_>>()?,
                )
            }
            ExportKind::Redemptions => {
                let mut st = c.prepare(REDEMPTIONS)?;
                let rows = st.query_map(params![from, to], |r| {
                    Ok(vec![
                        when(r.get(0)?),
                        r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                        r.get::<_, i64>(2)?.to_string(),
                        r.get(3)?,
                        uuid_hex(r.get(4)?),
                        r.get(5)?,
                        r.get(6)?,
                    ])
                })?;
                (
                    vec![
                        "redeemed_at",
                        "product",
                        "item_number",
                        "gate",
                        "device_id",
                        "staff",
                        "owner_email",
                    ],
                    rows.collect::<rusqlite::Result<_>>()?,
                )
            }
            ExportKind::Sessions => {
                let mut st = c.prepare(SESSIONS)?;
                let rows = st.query_map(params![from, to], |r| {
                    Ok(vec![
                        when(r.get(0)?),
                        when(r.get(1)?),
                        uuid_hex(r.get(2)?),
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                    ])
                })?;
                (
                    vec![
                        "opened_at",
                        "closed_at",
                        "device_id",
                        "opened_by",
                        "currency",
                        "float",
                        "counted",
                        "closed_by",
                    ],
                    rows.collect::<rusqlite::Result<_>>()?,
                )
            }
            ExportKind::Totals => (
                vec![
                    "product",
                    "currency",
                    "payment_method",
                    "orders",
                    "quantity",
                    "total",
                    "refunded_items",
                    "refunded",
                    "net",
                ],
                self.sales_totals_in(Some((from, to)))?
                    .into_iter()
                    .map(|t| {
                        vec![
                            t.product_name,
                            t.currency,
                            t.payment_method,
                            t.orders.to_string(),
                            t.quantity.to_string(),
                            t.total.to_string(),
                            t.refunded_items.to_string(),
                            t.refunded.to_string(),
                            t.net.to_string(),
                        ]
                    })
                    .collect(),
            ),
        };
        Ok(Table { header, rows })
    }
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@` not starting a
/// number) is written with a leading `'`, so it shows as the text it is.
fn safe_cell(s: &str) -> std::borrow::Cow<'_, str> {
    let formula = s.starts_with(['=', '+', '-', '@'])
        && !s
            .trim_start_matches('-')
            .starts_with(|c: char| c.is_ascii_digit());
    if formula {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

impl Table {
    /// RFC 4180 CSV (CRLF line ends).
    pub fn to_csv(&self) -> Result<Vec<u8>> {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        let bad = |e: csv::Error| DeviceError::Invalid(format!("could not write CSV: {e}"));
        w.write_record(&self.header).map_err(bad)?;
        for row in &self.rows {
            w.write_record(row.iter().map(|c| safe_cell(c).into_owned()))
                .map_err(bad)?;
        }
        w.into_inner()
            .map_err(|e| DeviceError::Invalid(format!("could not write CSV: {e}")))
    }

    /// One worksheet named `sheet`: a bold header row, every cell as text (exact
    /// money, no formula ever evaluated).
    pub fn to_xlsx(&self, sheet: &str) -> Result<Vec<u8>> {
        let bad = |e: rust_xlsxwriter::XlsxError| {
            DeviceError::Invalid(format!("could not write the workbook: {e}"))
        };
        let mut book = rust_xlsxwriter::Workbook::new();
        let ws = book.add_worksheet();
        ws.set_name(sheet).map_err(bad)?;
        let bold = rust_xlsxwriter::Format::new().set_bold();
        for (col, h) in self.header.iter().enumerate() {
            ws.write_string_with_format(0, col as u16, *h, &bold)
                .map_err(bad)?;
        }
        for (i, row) in self.rows.iter().enumerate() {
            for (col, v) in row.iter().enumerate() {
                ws.write_string(i as u32 + 1, col as u16, v.as_str())
                    .map_err(bad)?;
            }
        }
        book.save_to_buffer().map_err(bad)
    }

    pub fn encode(&self, format: ExportFormat, sheet: &str) -> Result<Vec<u8>> {
        match format {
            ExportFormat::Csv => self.to_csv(),
            ExportFormat::Xlsx => self.to_xlsx(sheet),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            header: vec!["name", "total"],
            rows: vec![
                vec!["=HYPERLINK(\"x\")".into(), "-12.50".into()],
                vec!["a, \"b\"".into(), "3".into()],
            ],
        }
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let out = String::from_utf8(table().to_csv().unwrap()).unwrap();
        assert_eq!(
            out,
            "name,total\r\n\"'=HYPERLINK(\"\"x\"\")\",-12.50\r\n\"a, \"\"b\"\"\",3\r\n"
        );
    }

    #[test]
    fn xlsx_is_a_zip_workbook() {
        let out = table().to_xlsx("sales").unwrap();
        assert!(out.starts_with(b"PK"), "not a zip container");
        assert!(out.len() > 1000);
    }

    #[test]
    fn kinds_parse() {
        for k in ExportKind::ALL {
            assert_eq!(k.as_str().parse::<ExportKind>().unwrap(), k);
        }
        assert!("orders".parse::<ExportKind>().is_err());
        assert!("pdf".parse::<ExportFormat>().is_err());
    }
}
