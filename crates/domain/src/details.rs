//! What a commerce back office (W3Block seed 002) says about a product beyond the
//! catalog MUFI and the devices share: how tokens are handed out and priced, the
//! product page's HTML, terms, a sort weight, images. Head office keeps these beside
//! the product; the door never needs them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{DomainError, Result};
use crate::validate::refuse_control;

/// Which token a buyer gets (seed 002 `distributionType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DistributionType {
    Random,
    Fixed,
    /// The next item number: what Wicket's numbering does, so the default.
    Sequential,
}

impl DistributionType {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "random" => Some(Self::Random),
            "fixed" => Some(Self::Fixed),
            "sequential" => Some(Self::Sequential),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Random => "random",
            Self::Fixed => "fixed",
            Self::Sequential => "sequential",
        }
    }
}

/// One price for the product, or one per token (seed 002 `pricingType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PricingType {
    Product,
    Token,
}

impl PricingType {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "product" => Some(Self::Product),
            "token" => Some(Self::Token),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Product => "product",
            Self::Token => "token",
        }
    }
}

/// A product's back-office details, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductDetails {
    pub distribution_type: DistributionType,
    pub pricing_type: PricingType,
    /// `{keyCollectionId, range, quantity}`; kept as given.
    pub draft_data: Option<Value>,
    pub html_content: Option<String>,
    /// `[{title, description?, link?}]`
    pub terms: Option<Vec<Value>>,
    /// Sort weight (default 0).
    pub relevance: f64,
    pub on_demand_mint: bool,
    /// `[{assetId, ...}]`
    pub images: Vec<Value>,
}

impl Default for ProductDetails {
    fn default() -> Self {
        ProductDetails {
            distribution_type: DistributionType::Sequential,
            pricing_type: PricingType::Product,
            draft_data: None,
            html_content: None,
            terms: None,
            relevance: 0.0,
            on_demand_mint: true,
            images: Vec::new(),
        }
    }
}

/// A create or partial update of the details: `None` keeps the current value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DetailsInput {
    pub distribution_type: Option<String>,
    pub pricing_type: Option<String>,
    pub draft_data: Option<Value>,
    pub html_content: Option<String>,
    pub terms: Option<Vec<Value>>,
    pub relevance: Option<f64>,
    pub on_demand_mint: Option<bool>,
    pub images: Option<Vec<Value>>,
}

/// Largest product page HTML kept (a page, not a site).
pub const HTML_CONTENT_MAX: usize = 100_000;
/// At most this many terms or images on one product.
const LIST_MAX: usize = 50;
/// Largest JSON text one term, image or the draft data may take.
const OBJECT_MAX: usize = 4_096;

fn object(field: &'static str, v: &Value) -> Result<()> {
    if !v.is_object() {
        return Err(DomainError::field(field, "must be an object"));
    }
    if v.to_string().len() > OBJECT_MAX {
        return Err(DomainError::field(
            field,
            format!("more than {OBJECT_MAX} bytes"),
        ));
    }
    Ok(())
}

fn objects(field: &'static str, list: &[Value]) -> Result<()> {
    if list.len() > LIST_MAX {
        return Err(DomainError::field(field, format!("at most {LIST_MAX}")));
    }
    list.iter().try_for_each(|v| object(field, v))
}

impl DetailsInput {
    /// The details after this input, every field checked.
    pub fn apply_to(self, old: &ProductDetails) -> Result<ProductDetails> {
        let mut d = old.clone();
        if let Some(t) = self.distribution_type {
            d.distribution_type = DistributionType::parse(&t).ok_or_else(|| {
                DomainError::field(
                    "distributionType",
                    format!("{t:?} is not random, fixed or sequential"),
                )
            })?;
        }
        if let Some(t) = self.pricing_type {
            d.pricing_type = PricingType::parse(&t).ok_or_else(|| {
                DomainError::field("pricingType", format!("{t:?} is not product or token"))
            })?;
        }
        if let Some(v) = self.draft_data {
            object("draftData", &v)?;
            d.draft_data = Some(v);
        }
        if let Some(h) = self.html_content {
            refuse_control("htmlContent", &h, true)?;
            if h.len() > HTML_CONTENT_MAX {
                return Err(DomainError::field(
                    "htmlContent",
                    format!("more than {HTML_CONTENT_MAX} bytes"),
                ));
            }
            d.html_content = Some(h);
        }
        if let Some(t) = self.terms {
            objects("terms", &t)?;
            d.terms = Some(t);
        }
        if let Some(r) = self.relevance {
            if !r.is_finite() {
                return Err(DomainError::field("relevance", "must be a finite number"));
            }
            d.relevance = r;
        }
        if let Some(m) = self.on_demand_mint {
            d.on_demand_mint = m;
        }
        if let Some(i) = self.images {
            objects("images", &i)?;
            d.images = i;
        }
        Ok(d)
    }
}
