"""The management part of the e2e run (issue 18), driven after the main flow:

an admin adds a staff member and makes an enrollment code a second device (the
`wicket` CLI) enrolls with; a manager creates an event and a product with a price,
stock and a sale window (head office's validation messages shown next to the
fields, nothing written), publishes it, sells it at the box office of the same
laptop, and the second device sees it after its pull; the new staff member signs
in with their PIN, cannot open the screens, and cannot manage from the CLI either.
"""

import json
import subprocess
import time

from e2e import F_KEYS, Fail, check, goto, ho_get, sign_in, sign_out, wait_text


def set_value(s, css, value):
    """Set an input or select the way typing would (Svelte listens to input/change)."""
    got = s.js(
        "const el = document.querySelector(arguments[0]);"
        "if (!el) return null;"
        "el.value = arguments[1];"
        "el.dispatchEvent(new Event('input', {bubbles: true}));"
        "el.dispatchEvent(new Event('change', {bubbles: true}));"
        "return el.value;",
        css,
        value,
    )
    if got is None:
        raise Fail(f"no element {css}")


def set_checked(s, label_text, on):
    s.js(
        "for (const l of document.querySelectorAll('label.check')) {"
        "  if (l.textContent.includes(arguments[0])) {"
        "    const i = l.querySelector('input');"
        "    if (i.checked !== arguments[1]) i.click();"
        "  }"
        "}",
        label_text,
        on,
    )


def option_value(s, select_css, text, timeout=15.0):
    """The value of the option showing `text` in a select, once the list has loaded."""
    end = time.time() + timeout
    while True:
        v = s.js(
            "return [...document.querySelectorAll(arguments[0])].find(o => o.textContent === arguments[1])?.value ?? null",
            select_css + " option",
            text,
        )
        if v is not None or time.time() > end:
            return v
        time.sleep(0.25)


def shot(s, path):
    """A screenshot of the setup screen from its top, where its notices are."""
    s.js("for (const el of document.querySelectorAll('.setup, main .screen')) el.scrollTop = 0;")
    s.shot(path)


def local(ts):
    """Unix seconds as a datetime-local value in the app's (local) time zone."""
    return time.strftime("%Y-%m-%dT%H:%M", time.localtime(ts))


def product_count(a):
    return ho_get(a.ho, a.key, "/v1/products?limit=1")["meta"]["total_items"]


def cli(a, *args, ok=True):
    out = subprocess.run([a.wicket, "--db", a.second_db, *args], capture_output=True, text=True, timeout=120)
    if ok and out.returncode != 0:
        raise Fail(f"wicket {' '.join(args)}: {out.stderr.strip()[-300:]}")
    return out


def manage_sign_in(s, pin):
    set_value(s, '[data-testid="manage-pin"]', pin)
    s.click(s.wait('[data-testid="manage-sign-in"] button.primary'))
    s.wait('.setup nav.tabs button[data-tab="events"]')
    s.wait('[data-testid="event-form"]', timeout=20)


def admin_part(s, a, shots):
    """Signed in as the admin: a staff member, an enrollment code for device two."""
    goto(s, "setup")
    s.wait('[data-testid="manage-sign-in"]')
    shot(s, f"{shots}/14-setup-sign-in.png")
    manage_sign_in(s, "444444")
    tabs = [s.text(e) for e in s.find_all(".setup nav.tabs button")]
    check("Staff" in tabs and "Devices" in tabs, f"an admin has the Staff and Devices tabs ({tabs})")

    s.click(s.wait('.setup nav.tabs button[data-tab="staff"]'))
    s.wait('[data-testid="staff-form"]')
    set_value(s, '[data-testid="staff-form"] [data-field="name"]', "Eve Entrance")
    set_value(s, '[data-testid="staff-form"] [data-field="role"]', "door")
    set_value(s, '[data-testid="staff-form"] [data-field="pin"]', "55")
    s.click(s.wait('[data-testid="staff-save"]'))
    s.wait('[data-testid="err-pin"]', text="digits")
    check("Eve Entrance" not in json.dumps(staff_names(s)), "a too-short PIN: message at the PIN, nobody added")
    set_value(s, '[data-testid="staff-form"] [data-field="pin"]', "5555")
    s.click(s.wait('[data-testid="staff-save"]'))
    s.wait('[data-testid="staff-notice"]', text="Eve Entrance added")
    print("ok admin added Eve Entrance (door, PIN 5555)")
    shot(s, f"{shots}/17-setup-staff.png")

    s.click(s.wait('.setup nav.tabs button[data-tab="devices"]'))
    s.click(s.wait('[data-testid="enroll-code-new"]'))
    text = s.text(s.wait('[data-testid="enroll-code-text"]', timeout=20))
    check(text.startswith("WKENROLL1 " + a.ho), f"enrollment code as text ({text[:40]}…)")
    check(s.find_all('[data-testid="enroll-code"] img'), "enrollment code as a QR code")
    shot(s, f"{shots}/18-setup-devices.png")
    _, url, code = text.split()
    cli(a, "enroll", "--url", url, "--code", code, "--name", "E2E south door (CLI)")
    cli(a, "sync")
    print("ok a second device enrolled with the code from the Devices screen and pulled")
    sign_out(s)


def staff_names(s):
    return [s.text(e) for e in s.find_all('.setup table td')]


def manager_part(s, a, shots):
    """Signed in as the manager: event, product (with validation), publish, sell."""
    sign_in(s, "333333")
    goto(s, "setup")
    manage_sign_in(s, "333333")
    tabs = [s.text(e) for e in s.find_all(".setup nav.tabs button")]
    check("Staff" not in tabs and "Products" in tabs, f"a manager sets up, but not staff ({tabs})")

    now = int(time.time())
    set_value(s, '[data-testid="event-form"] [data-field="name"]', "E2E Gala")
    set_value(s, '[data-testid="event-form"] [data-field="start"]', local(now + 7 * 86400))
    set_value(s, '[data-testid="event-form"] [data-field="end"]', local(now + 7 * 86400 + 4 * 3600))
    set_value(s, '[data-testid="event-form"] [data-field="location"]', "Main hall")
    set_value(s, '[data-testid="event-form"] [data-field="address"]', "1 Quay Street")
    s.click(s.wait('[data-testid="event-save"]'))
    s.wait('[data-testid="event-notice"]', text="E2E Gala created")
    print("ok manager created the event E2E Gala")
    shot(s, f"{shots}/15-setup-events.png")

    s.click(s.wait('.setup nav.tabs button[data-tab="products"]'))
    s.click(s.wait('[data-testid="product-new"]'))
    before = product_count(a)
    form = '[data-testid="product-form"] '
    set_value(s, form + '[data-field="name"]', "E2E Gala ticket")
    event = option_value(s, form + '[data-field="event_id"]', "E2E Gala")
    check(event is not None, "the new event is in the product's event list")
    set_value(s, form + '[data-field="event_id"]', event)
    set_value(s, form + '[data-field="stock"]', "50")
    set_value(s, form + '[data-field="slug"]', "e2e-gala")
    set_value(s, form + '[data-field="start_sale_at"]', local(now - 3600))
    set_value(s, form + '[data-field="end_sale_at"]', local(now + 6 * 86400))
    set_checked(s, "Claimable", True)

    # Three mistakes, each shown by head office's message at its field.
    set_value(s, form + '[data-field="prices"]', "EUR twenty")
    s.click(s.wait('[data-testid="product-save"]'))
    s.wait('[data-testid="err-prices"]', text="decimal")
    set_value(s, form + '[data-field="prices"]', "EUR 25.00")
    set_value(s, form + '[data-field="end_sale_at"]', local(now - 7200))
    s.click(s.wait('[data-testid="product-save"]'))
    s.wait('[data-testid="err-end_sale_at"]', text="after")
    s.shot(f"{shots}/16a-setup-product-invalid.png")
    set_value(s, form + '[data-field="end_sale_at"]', local(now + 6 * 86400))
    check(product_count(a) == before, "invalid price, backwards sale window: head office wrote nothing")

    s.click(s.wait('[data-testid="product-save"]'))
    s.wait('[data-testid="product-notice"]', text="created as a draft")
    check(product_count(a) == before + 1, "the product is created at head office")
    s.click(s.wait('[data-testid="product-duplicate"]'))
    s.wait('[data-testid="product-notice"]', text="A copy")
    set_value(s, form + '[data-field="slug"]', "e2e-gala")
    s.click(s.wait('[data-testid="product-save"]'))
    s.wait('[data-testid="err-slug"]', text="duplicate")
    check(product_count(a) == before + 1, "a duplicate slug: message at the slug, nothing written")
    # Back to the product and publish it.
    s.click(s.wait(".split table tr.pick td", text="E2E Gala ticket"))
    s.click(s.wait('[data-testid="product-publish"]'))
    s.wait('[data-testid="product-notice"]', text="published")
    shot(s, f"{shots}/16-setup-products.png")
    print("ok E2E Gala ticket created (EUR 25.00, stock 50, on sale now) and published")

    # The second device pulls: the change has reached it (and this laptop's engine).
    cli(a, "sync")
    listed = cli(a, "products").stdout
    check("E2E Gala ticket" in listed, "the second device lists the product after its pull")
    wait_text(
        s,
        '[data-testid="reach"]',
        lambda t: (lambda w: len(w) > 7 and w[4] == w[6])(t.split()),
        "the screen shows every device received the change",
        timeout=60,
    )
    shot(s, f"{shots}/16b-setup-received.png")

    # Claim codes for it: a sheet of QR codes as PDF.
    s.click(s.wait('.setup nav.tabs button[data-tab="claims"]'))
    gala = option_value(s, '[data-testid="claim-product"]', "E2E Gala ticket")
    check(gala is not None, "the new claimable product is offered for claim codes")
    set_value(s, '[data-testid="claim-product"]', gala)
    set_value(s, '[data-testid="claim-count"]', "3")
    s.click(s.wait(".claims button.primary"))
    s.wait('[data-testid="claim-notice"]', text="3 claim codes")
    s.click(s.wait('[data-testid="claim-pdf"]'))
    saved = s.text(s.wait('[data-testid="claim-notice"]', text="Saved 3")).split(" to ", 1)[-1].strip()
    with open(saved, "rb") as f:
        check(f.read(5) == b"%PDF-", f"claim code sheet saved as PDF ({saved})")
    shot(s, f"{shots}/19-setup-claims.png")
    s.click(s.wait('.setup nav.tabs button[data-tab="rewards"]'))
    s.wait('[data-testid="reward-form"]')
    shot(s, f"{shots}/20-setup-rewards.png")

    # Sell it at the box office of this laptop once its own pull brought it.
    goto(s, "sync")
    s.wait('[data-testid="lan"]', text="Listening on")
    print("ok the Sync screen shows the door network listening")
    # A door on a network that blocks mDNS, configured by hand (nobody there here).
    set_value(s, '[data-testid="lan-peers"]', "http://127.0.0.1:7799")
    s.click(s.wait('[data-testid="lan"] form button'))
    s.wait('[data-testid="peer"]', text="127.0.0.1:7799")
    wait_text(s, '[data-testid="peer"]', lambda t: "cut off" in t, "the unreachable door shows as cut off")
    shot(s, f"{shots}/13a-sync-doors.png")
    s.click(s.wait('[data-testid="sync-now"]'))
    goto(s, "box")
    s.click(s.wait('[data-testid="product"]', text="E2E Gala ticket", timeout=60))
    s.type(s.wait('[data-testid="buyer-email"]'), "gala.guest@example.com")
    s.click(s.wait('[data-testid="pay-card"]'))
    s.click(s.wait('[data-testid="complete-sale"]'))
    total = s.text(s.wait('[data-testid="receipt-total"]', timeout=20))
    check("25.00" in total, f"sold E2E Gala ticket at the box office ({total.strip()})")

    # The day's sales as CSV from the Sales screen.
    goto(s, "sales")
    s.click(s.wait('[data-testid="export-csv"]'))
    note = s.text(s.wait('[data-testid="export-notice"]'))
    path = note.split(" to ", 1)[-1].strip()
    with open(path, encoding="utf-8") as f:
        csv = f.read()
    check("E2E Gala ticket" in csv and "25.00" in csv, f"sales export CSV holds the sale ({path})")
    s.shot(f"{shots}/12b-sales-export.png")
    sign_out(s)


def door_part(s, a):
    """The staff member the admin added signs in with the new PIN; no Setup for them.
    This laptop pulled after the admin added them (the sale above needed a pull)."""
    sign_in(s, "5555")
    who = s.text(s.wait(".who .staff"))
    check("Eve Entrance" in who, f"the new staff member signed in with their PIN ({who.strip()})")
    tabs = [s.text(e) for e in s.find_all("nav button")]
    check(not any(t.startswith("Setup") for t in tabs), f"door staff have no Setup screen ({tabs})")
    s.press(F_KEYS[8])
    check(not s.find_all('[data-testid="setup"]'), "F8 does not open Setup for door staff")
    out = cli(a, "--staff", "Eve Entrance", "--json", "manage", "--pin", "5555", "GET", "/v1/events", ok=False)
    check(out.returncode != 0 and "forbidden" in out.stdout, "door staff cannot manage from the CLI either")
    sign_out(s)


def run(s, a, shots):
    admin_part(s, a, shots)
    manager_part(s, a, shots)
    door_part(s, a)
