//! The public claim page: the link `create_claim_codes` hands out,
//! `{public_url}/claim/{code}`, as a small server-rendered HTML page a phone can
//! open. `GET` shows the product and a name + email form; `POST` finds or creates
//! the customer and claims through the same [`crate::store::Store::claim`] as
//! `POST /v1/claim`, then shows the ticket's QR (the same signed token as
//! `GET /v1/products/{id}/items/{item_id}/ticket`).
//!
//! No API key: the code is the capability. Every answer, refusals included, is
//! HTML for a person, never the API's JSON. The ticket is only ever in the answer
//! to the claiming `POST` (its download is a `data:` URL), so no other public route
//! hands out tickets.

use axum::Router;
use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{Form, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use uuid::Uuid;
use wicket_domain::DomainError;

use crate::api::AppState;
use crate::error::Error;
use crate::model::{EventOut, ItemOut, NewUserBody, ProductOut, TicketOut};
use crate::store::EventKey;

mod html;

use html::Notice;

/// The page's routes (public; `api::router` mounts them outside the key check).
pub fn routes() -> Router<AppState> {
    Router::new().route("/claim/{code}", axum::routing::get(show).post(submit))
}

/// Longest name the form takes (the store keeps first and last name up to 255).
const MAX_NAME: usize = 200;

/// One HTML answer: a status and a whole document.
pub(crate) struct Page {
    status: StatusCode,
    html: String,
}

/// Inline CSS only; no script, no images, forms post back here.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
                   base-uri 'none'; frame-ancestors 'none'";

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        (
            self.status,
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                // A page may carry a ticket: never cached, shared or framed.
                (header::CACHE_CONTROL, "no-store"),
                // The URL is the capability: do not leak it to other sites.
                (header::REFERRER_POLICY, "no-referrer"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                (header::CONTENT_SECURITY_POLICY, CSP),
            ],
            self.html,
        )
            .into_response()
    }
}

/// The name and email the form posts; absent fields read as empty.
#[derive(Debug, Default, Deserialize)]
struct ClaimForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
}

/// A code that exists and is not used yet, with what the page shows about it.
struct Claimable {
    code: Uuid,
    product: ProductOut,
    event: Option<EventOut>,
}

async fn show(State(st): State<AppState>, path: Result<Path<String>, PathRejection>) -> Page {
    match load(&st, path).await {
        Ok(c) => form_page(&c, &ClaimForm::default(), &[], StatusCode::OK),
        Err(e) => refusal(&e),
    }
}

async fn submit(
    State(st): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    form: Result<Form<ClaimForm>, FormRejection>,
) -> Page {
    // A dead code is refused before anything is read from the form or written.
    let c = match load(&st, path).await {
        Ok(c) => c,
        Err(e) => return refusal(&e),
    };
    let Ok(Form(form)) = form else {
        let msg = "We could not read the form. Please fill it in and send it again.";
        return form_page(
            &c,
            &ClaimForm::default(),
            &[msg.into()],
            StatusCode::BAD_REQUEST,
        );
    };
    let (name, email) = match validate(&form) {
        Ok(v) => v,
        Err(msgs) => return form_page(&c, &form, &msgs, StatusCode::BAD_REQUEST),
    };
    let claimed = async {
        let (first, last) = split_name(&name);
        let who = NewUserBody {
            email: email.clone(),
            first_name: Some(first),
            last_name: last,
            reference_id: None,
            country: None,
        };
        let item = st.store.claim_as(c.code, who).await?;
        let ticket = crate::api::items::ticket_of(&st, item.product_id, item.id).await?;
        Ok::<_, Error>((item, ticket))
    };
    match claimed.await {
        Ok((item, ticket)) => ticket_page(&c, &name, &item, &ticket),
        Err(e) => match about_the_person(&e) {
            // Refusals about who claims: the form again, to try another address.
            Some(msg) => form_page(&c, &form, &[msg], StatusCode::BAD_REQUEST),
            None => refusal(&e),
        },
    }
}

/// The code in the path, looked up: unknown, used or unclaimable codes are errors
/// here so that neither page offers a form that cannot succeed. The claim itself
/// checks again (`usecase::claim`), in its transaction.
async fn load(
    st: &AppState,
    path: Result<Path<String>, PathRejection>,
) -> Result<Claimable, Error> {
    let Path(text) = path.map_err(|_| DomainError::InvalidClaimCode)?;
    let code = wicket_domain::parse_claim_code(&text)?;
    let cc = st
        .store
        .claim_code(code)
        .await?
        .ok_or_else(|| Error::not_found(format!("claim code {code}")))?;
    if cc.claimed_by.is_some() {
        return Err(DomainError::ClaimUsed.into());
    }
    let product = st.store.get_product(cc.product_id).await?;
    if !product.is_claimable {
        return Err(DomainError::NotClaimable.into());
    }
    let event = match product.event_id {
        // An event that cannot be read only costs the page its subtitle.
        Some(id) => st.store.get_event(EventKey::Id(id)).await.ok(),
        None => None,
    };
    Ok(Claimable {
        code,
        product,
        event,
    })
}

/// The form's name (trimmed) and email (normalized as the API does), or every
/// message to show.
fn validate(f: &ClaimForm) -> Result<(String, String), Vec<String>> {
    let mut errors = Vec::new();
    let name = f.name.trim().to_string();
    if name.is_empty() {
        errors.push("Please enter your name.".to_string());
    } else if name.chars().count() > MAX_NAME {
        errors.push(format!(
            "Your name is too long (at most {MAX_NAME} characters)."
        ));
    } else if name.chars().any(char::is_control) {
        errors.push("Your name contains characters we cannot store.".to_string());
    }
    let email = if f.email.trim().is_empty() {
        errors.push("Please enter your email address.".to_string());
        None
    } else {
        match wicket_domain::normalize_email(&f.email) {
            Ok(e) => Some(e),
            Err(_) => {
                errors.push(format!(
                    "\u{201c}{}\u{201d} is not an email address we can use.",
                    f.email.trim()
                ));
                None
            }
        }
    };
    match email {
        Some(email) if errors.is_empty() => Ok((name, email)),
        _ => Err(errors),
    }
}

/// "Ana Maria Silva" -> ("Ana Maria", Some("Silva")); one word is a first name.
fn split_name(name: &str) -> (String, Option<String>) {
    match name.rsplit_once(char::is_whitespace) {
        Some((first, last)) if !first.trim().is_empty() && !last.is_empty() => {
            (first.trim().to_string(), Some(last.to_string()))
        }
        _ => (name.to_string(), None),
    }
}

/// A refusal the person can fix with another name or address, as a form message.
fn about_the_person(e: &Error) -> Option<String> {
    match e {
        Error::Domain(DomainError::MaxPerAccount { .. }) => Some(
            "This email address already holds as many of these tickets as one person may.".into(),
        ),
        Error::Domain(DomainError::RepTooLow { .. }) => {
            Some("This email address is not eligible for this ticket.".into())
        }
        Error::Domain(DomainError::InvalidField { field, reason }) => Some(format!(
            "{}: {reason}",
            match *field {
                "email" => "Email",
                _ => "Name",
            }
        )),
        Error::DomainMany(v) => Some(
            v.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        ),
        _ => None,
    }
}

/// The page for a code that cannot be claimed (or a claim head office refused):
/// a sentence for a person and the status a client can act on.
fn refusal(e: &Error) -> Page {
    let (status, code, title, text, detail) = match known(e) {
        Some((status, code, title, text)) => (status, code, title, text, None),
        // A refusal this page has no sentence for: the rule's own words (never
        // internals) and the API's status.
        None => (
            e.status(),
            e.code(),
            "Cannot claim this ticket",
            "This ticket cannot be claimed. Please contact the organiser.",
            match e {
                Error::Domain(d) => Some(d.to_string()),
                _ => None,
            },
        ),
    };
    if status.is_server_error() {
        tracing::error!(error = %e, "claim page");
    }
    Page {
        status,
        html: html::notice(&Notice {
            title,
            text,
            code,
            detail,
        }),
    }
}

/// Status, stable code, title and sentence of the refusals a person meets. A used
/// code and a sold-out product are 409 (the state, not the request, is wrong).
fn known(e: &Error) -> Option<(StatusCode, &'static str, &'static str, &'static str)> {
    use DomainError as D;
    Some(match e {
        Error::Domain(D::InvalidClaimCode) => (
            StatusCode::BAD_REQUEST,
            "invalid_claim_code",
            "This link is not valid",
            "The claim link looks incomplete or mistyped. Open it again from the message \
             you received, or ask the organiser for a new one.",
        ),
        Error::NotFound(_) => (
            StatusCode::NOT_FOUND,
            "not_found",
            "Unknown claim link",
            "We could not find this claim link. Check that you opened the whole link, or \
             ask the organiser for a new one.",
        ),
        Error::Domain(D::ClaimUsed) => (
            StatusCode::CONFLICT,
            "claim_used",
            "Already claimed",
            "This ticket has already been claimed: each claim link works once. If you \
             claimed it, use the QR code you saved then.",
        ),
        Error::Domain(D::NotClaimable | D::WrongProduct) => (
            StatusCode::BAD_REQUEST,
            "not_claimable",
            "Cannot be claimed",
            "This ticket cannot be claimed with a link. Please contact the organiser.",
        ),
        Error::Domain(D::StockExhausted { .. } | D::MaxItemsReached { .. }) => (
            StatusCode::CONFLICT,
            "sold_out",
            "Sold out",
            "Sorry, all tickets of this kind have been given out.",
        ),
        Error::Domain(D::Inactive | D::NotPublished | D::NotOnSale) => (
            StatusCode::BAD_REQUEST,
            "not_available",
            "Not available right now",
            "This ticket cannot be claimed at the moment. Please try again later or \
             contact the organiser.",
        ),
        Error::Busy(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "Busy",
            "We are very busy right now. Please try again in a moment.",
        ),
        Error::Storage(_) | Error::NoRows => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "storage",
            "Something went wrong",
            "Something went wrong on our side. Please try again later.",
        ),
        _ => return None,
    })
}

fn form_page(c: &Claimable, f: &ClaimForm, errors: &[String], status: StatusCode) -> Page {
    Page {
        status,
        html: html::form(
            &html::Heading::of(&c.product, c.event.as_ref()),
            &c.code.to_string(),
            &f.name,
            &f.email,
            errors,
        ),
    }
}

fn ticket_page(c: &Claimable, name: &str, item: &ItemOut, t: &TicketOut) -> Page {
    // The signed token's QR as rendered for the API; inline it without the XML
    // declaration, and offer the whole document as the download.
    let inline = t.svg.find("<svg").map_or(t.svg.as_str(), |i| &t.svg[i..]);
    let download = data_encoding::BASE64.encode(t.svg.as_bytes());
    Page {
        status: StatusCode::CREATED,
        html: html::ticket(&html::TicketView {
            heading: html::Heading::of(&c.product, c.event.as_ref()),
            name,
            number: item.item_id,
            svg: inline,
            download_b64: &download,
            file_name: &format!("ticket-{}.svg", item.id),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::html::escape;
    use super::*;

    #[test]
    fn validate_names_every_problem() {
        let errs = validate(&ClaimForm {
            name: "  ".into(),
            email: "nope".into(),
        })
        .err()
        .unwrap_or_default();
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(errs[0].contains("name"));
        assert!(errs[1].contains("nope"));
        let ok = validate(&ClaimForm {
            name: " Ana Silva ".into(),
            email: " Ana@Example.COM ".into(),
        });
        assert_eq!(
            ok.ok(),
            Some(("Ana Silva".to_string(), "ana@example.com".to_string()))
        );
    }

    #[test]
    fn names_split_at_the_last_space() {
        assert_eq!(
            split_name("Ana Maria Silva"),
            ("Ana Maria".to_string(), Some("Silva".to_string()))
        );
        assert_eq!(split_name("Cher"), ("Cher".to_string(), None));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape(r#"<b a="1">&'"#),
            "&lt;b a=&quot;1&quot;&gt;&amp;&#39;"
        );
    }
}
