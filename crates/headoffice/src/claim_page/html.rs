//! The claim page's HTML: one layout, three bodies (form, ticket, notice). All
//! text from people or the catalog goes through [`escape`]; the only markup not
//! built here is the QR's SVG, which head office renders itself.

use std::fmt::Write as _;

use crate::model::{EventOut, ProductOut};

/// Text as HTML content or a double- or single-quoted attribute value.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Phone first: one column, 16px inputs (no zoom on focus), large tap targets.
const CSS: &str = "\
*{box-sizing:border-box}\
body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;\
background:#f3f4f6;color:#111827}\
main{max-width:28rem;margin:0 auto;padding:1rem}\
.card{background:#fff;border-radius:12px;padding:1.25rem;box-shadow:0 1px 3px rgba(0,0,0,.15)}\
h1{font-size:1.35rem;line-height:1.25;margin:0 0 .25rem}\
.event{color:#374151;margin:0}\
.muted{color:#6b7280;font-size:.9rem}\
label{display:block;font-weight:600;margin:1rem 0 .25rem}\
input{width:100%;font:inherit;padding:.7rem .75rem;border:1px solid #9ca3af;border-radius:8px}\
input:focus{outline:2px solid #2563eb;outline-offset:1px}\
button,.button{display:block;width:100%;margin-top:1.25rem;padding:.85rem;font:inherit;\
font-weight:600;color:#fff;background:#1d4ed8;border:0;border-radius:8px;text-align:center;\
text-decoration:none}\
.errors{background:#fef2f2;color:#991b1b;border:1px solid #fecaca;border-radius:8px;\
padding:.75rem 1rem;margin:1rem 0 0}\
.errors ul{margin:0;padding-left:1.1rem}\
.ok{color:#166534;font-weight:600;margin:0 0 .5rem}\
.qr{margin:1rem auto 0;max-width:320px}\
.qr svg{display:block;width:100%;height:auto}\
.notice h1{color:#991b1b}";

fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex\">\n\
         <title>{} \u{b7} Wicket</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n\
         {body}\n</main>\n</body>\n</html>\n",
        escape(title)
    )
}

/// What the page says the ticket is for.
pub(crate) struct Heading {
    product: String,
    event: Option<String>,
    when: Option<String>,
}

impl Heading {
    pub(crate) fn of(p: &ProductOut, e: Option<&EventOut>) -> Self {
        Heading {
            product: p.name.clone(),
            event: e.map(|e| match e.location.trim() {
                "" => e.name.clone(),
                at => format!("{} \u{2014} {at}", e.name),
            }),
            when: e.and_then(|e| when(e.start_date)),
        }
    }

    fn html(&self) -> String {
        let mut s = format!("<h1 id=\"product\">{}</h1>\n", escape(&self.product));
        if let Some(ev) = &self.event {
            let _ = writeln!(s, "<p class=\"event\" id=\"event\">{}</p>", escape(ev));
        }
        if let Some(w) = &self.when {
            let _ = writeln!(s, "<p class=\"event\" id=\"when\">{}</p>", escape(w));
        }
        s
    }
}

/// "Saturday 12 September 2026, 20:00 UTC": head office keeps instants, not the
/// venue's time zone, so the page says which clock it uses.
fn when(ts: i64) -> Option<String> {
    let t = time::OffsetDateTime::from_unix_timestamp(ts).ok()?;
    Some(format!(
        "{} {} {} {}, {:02}:{:02} UTC",
        t.weekday(),
        t.day(),
        t.month(),
        t.year(),
        t.hour(),
        t.minute()
    ))
}

/// The claim form; `errors` (plain text) above it, the typed values kept.
pub(crate) fn form(h: &Heading, code: &str, name: &str, email: &str, errors: &[String]) -> String {
    let mut body = format!("<section class=\"card\">\n{}", h.html());
    body.push_str("<p class=\"muted\">Enter your name and email to claim your ticket.</p>\n");
    if !errors.is_empty() {
        body.push_str("<div class=\"errors\" id=\"errors\" role=\"alert\"><ul>\n");
        for e in errors {
            let _ = writeln!(body, "<li>{}</li>", escape(e));
        }
        body.push_str("</ul></div>\n");
    }
    // A relative action: posts back to /claim/{code} even behind a path prefix.
    let _ = write!(
        body,
        "<form id=\"claim-form\" method=\"post\" action=\"{code}\" \
         enctype=\"application/x-www-form-urlencoded\">\n\
         <label for=\"name\">Your name</label>\n\
         <input id=\"name\" name=\"name\" type=\"text\" autocomplete=\"name\" required \
         maxlength=\"200\" value=\"{name}\">\n\
         <label for=\"email\">Email</label>\n\
         <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" \
         inputmode=\"email\" required maxlength=\"254\" value=\"{email}\">\n\
         <button type=\"submit\" id=\"claim\">Claim my ticket</button>\n</form>\n</section>",
        code = escape(code),
        name = escape(name),
        email = escape(email),
    );
    layout("Claim your ticket", &body)
}

/// What the success page shows.
pub(crate) struct TicketView<'a> {
    pub heading: Heading,
    pub name: &'a str,
    pub number: u64,
    /// The QR as an `<svg>` element (head office's own rendering).
    pub svg: &'a str,
    /// The whole SVG document, base64, for the download link.
    pub download_b64: &'a str,
    pub file_name: &'a str,
}

pub(crate) fn ticket(t: &TicketView<'_>) -> String {
    let body = format!(
        "<section class=\"card\">\n<p class=\"ok\" id=\"claimed\">Ticket claimed \u{2014} \
         thank you, {name}!</p>\n{heading}<p class=\"muted\">Ticket #{number}. Show this QR \
         code at the door.</p>\n<div class=\"qr\" id=\"ticket-qr\" role=\"img\" \
         aria-label=\"Ticket QR code\">{svg}</div>\n\
         <a class=\"button\" id=\"download-qr\" download=\"{file}\" \
         href=\"data:image/svg+xml;base64,{b64}\">Download QR code</a>\n\
         <p class=\"muted\">Save it now (download it or take a screenshot): for your \
         safety this page cannot be shown again.</p>\n</section>",
        name = escape(t.name),
        heading = t.heading.html(),
        number = t.number,
        svg = t.svg,
        file = escape(t.file_name),
        b64 = escape(t.download_b64),
    );
    layout("Your ticket", &body)
}

/// A page that only says something: a refusal.
pub(crate) struct Notice<'a> {
    pub title: &'a str,
    pub text: &'a str,
    /// Stable code for scripts and tests (`data-code`).
    pub code: &'a str,
    /// The rule's own words, when worth showing.
    pub detail: Option<String>,
}

pub(crate) fn notice(n: &Notice<'_>) -> String {
    let mut body = format!(
        "<section class=\"card notice\" id=\"notice\" data-code=\"{}\">\n<h1>{}</h1>\n\
         <p id=\"reason\">{}</p>\n",
        escape(n.code),
        escape(n.title),
        escape(n.text)
    );
    if let Some(d) = &n.detail {
        let _ = writeln!(body, "<p class=\"muted\">({})</p>", escape(d));
    }
    body.push_str("</section>");
    layout(n.title, &body)
}
