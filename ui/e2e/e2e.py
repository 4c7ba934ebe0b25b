"""Drive the Wicket app through tauri-driver with plain W3C WebDriver HTTP calls,
as a device connected to a real head office.

Usage: e2e.py --app PATH --ho URL --key API_KEY --code ENROLLMENT_CODE --shots DIR
              --wicket PATH --second-db FILE [--driver http://127.0.0.1:4444]
Each step prints what it checked; any failed check exits non-zero.
"""

import argparse
import base64
import http.client as http_client
import json
import re
import sys
import time
import urllib.error
import urllib.request

DRIVER = "http://127.0.0.1:4444"
ENTER = "\ue007"
ESCAPE = "\ue00c"
F_KEYS = {n: chr(0xE031 + n - 1) for n in range(1, 13)}
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


class Fail(Exception):
    pass


def http(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    # tauri-driver forwards over pooled keep-alive connections to WebKitWebDriver;
    # when it reuses one the driver already closed, the request never arrives and
    # the reply is a dropped connection. Such a request is safe to send again.
    for attempt in range(5):
        req = urllib.request.Request(
            DRIVER + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read() or b"{}").get("value")
        except urllib.error.HTTPError as e:
            raise Fail(f"{method} {path}: {e.code} {e.read()[:300]!r}") from e
        except (http_client.RemoteDisconnected, ConnectionResetError) as e:
            print(f"   (driver dropped {method} {path.split('/')[-1]}: {e}; retry {attempt + 1})")
            time.sleep(0.3)
    raise Fail(f"{method} {path}: driver kept dropping the connection")


class Session:
    def __init__(self, app):
        value = http(
            "POST",
            "/session",
            {"capabilities": {"alwaysMatch": {"browserName": "wry", "tauri:options": {"application": app}}}},
        )
        self.sid = value["sessionId"]

    def close(self):
        try:
            http("DELETE", f"/session/{self.sid}")
        except Fail:
            pass

    def find_all(self, css):
        found = http("POST", f"/session/{self.sid}/elements", {"using": "css selector", "value": css})
        return [e[ELEMENT] for e in found]

    def wait(self, css, timeout=15.0, text=None):
        """The first element matching css (and containing text), waiting for it."""
        end = time.time() + timeout
        last = ""
        while time.time() < end:
            for el in self.find_all(css):
                if text is None:
                    return el
                last = self.text(el)
                if text in last:
                    return el
            time.sleep(0.1)
        raise Fail(f"timed out waiting for {css!r}" + (f" with {text!r} (last text {last!r})" if text else ""))

    def text(self, el):
        return http("GET", f"/session/{self.sid}/element/{el}/text") or ""

    def click(self, el):
        http("POST", f"/session/{self.sid}/element/{el}/click", {})

    def type(self, el, keys):
        http("POST", f"/session/{self.sid}/element/{el}/value", {"text": keys})

    def clear(self, el):
        http("POST", f"/session/{self.sid}/element/{el}/clear", {})

    def press(self, key):
        """Press and release one key on whatever has focus (Actions API)."""
        actions = [{"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]
        http("POST", f"/session/{self.sid}/actions", {"actions": [{"type": "key", "id": "kb", "actions": actions}]})

    def js(self, script, *args):
        return http("POST", f"/session/{self.sid}/execute/sync", {"script": script, "args": list(args)})

    def shot(self, path, settle=0.6):
        time.sleep(settle)
        png = base64.b64decode(http("GET", f"/session/{self.sid}/screenshot"))
        with open(path, "wb") as f:
            f.write(png)
        print(f"   screenshot {path}")


def check(cond, what):
    if not cond:
        raise Fail(what)
    print(f"ok {what}")


def sign_in(s, pin):
    s.wait('[data-testid="pin-ok"]')
    for d in pin:
        s.click(s.wait(f'button[data-key="{d}"]'))
    s.click(s.wait('[data-testid="pin-ok"]'))
    s.wait('[data-testid="sign-out"]')


def sign_out(s):
    s.click(s.wait('[data-testid="sign-out"]'))
    s.wait('[data-testid="pin-ok"]')


def goto(s, screen):
    s.click(s.wait(f'button[data-screen="{screen}"]'))
    time.sleep(0.3)


def scan(s, token):
    field = s.wait('[data-testid="scan-input"]')
    # Whatever has focus, a wedge scanner types into the active element: check the
    # door keeps the scan field focused, then type as the scanner would.
    focused = s.js("return document.activeElement && document.activeElement.dataset.testid")
    check(focused == "scan-input", "door scan field holds focus")
    s.type(field, token + ENTER)


def tamper(token):
    i = len(token) - 20
    return token[:i] + ("B" if token[i] == "A" else "A") + token[i + 1 :]


def ho_get(base, key, path):
    req = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        raise Fail(f"head office GET {path}: {e.code} {e.read()[:300]!r}") from e


def ho_ticket(base, key):
    """Head office's signed ticket for its first General Admission item."""
    products = ho_get(base, key, "/v1/products?limit=100")["items"]
    ga = next((p for p in products if p["name"] == "General Admission"), None)
    if ga is None:
        raise Fail("head office has no General Admission product")
    item = ho_get(base, key, f"/v1/products/{ga['id']}/items?limit=1")["items"][0]
    t = ho_get(base, key, f"/v1/products/{ga['id']}/items/{item['id']}/ticket")
    check(t["token"].startswith("WK1") and "<svg" in t["svg"], "head office signs a ticket (token + QR)")
    return t["token"], item


def ho_guest(base, key):
    """A second General Admission item (not the scanned one) and its holder."""
    products = ho_get(base, key, "/v1/products?limit=100")["items"]
    ga = next(p for p in products if p["name"] == "General Admission")
    return ho_get(base, key, f"/v1/products/{ga['id']}/items?limit=2")["items"][1]


def wait_text(s, css, pred, what, timeout=30.0):
    """Wait until pred(text of css) holds; fail with the last text seen."""
    end = time.time() + timeout
    last = None
    while time.time() < end:
        els = s.find_all(css)
        if els:
            last = s.text(els[0])
            if pred(last):
                check(True, f"{what} ({last.strip()[:60]!r})")
                return last
        time.sleep(0.25)
    raise Fail(f"timed out: {what} (last {css} text {last!r})")


def main():
    global DRIVER
    ap = argparse.ArgumentParser()
    ap.add_argument("--app", required=True)
    ap.add_argument("--ho", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--code", required=True)
    ap.add_argument("--shots", required=True)
    ap.add_argument("--driver", default=DRIVER)
    ap.add_argument("--wicket", required=True, help="the wicket CLI: the second device")
    ap.add_argument("--second-db", required=True, help="the second device's replica file")
    a = ap.parse_args()
    DRIVER = a.driver
    shots = a.shots.rstrip("/")
    token, ho_item = ho_ticket(a.ho, a.key)

    s = Session(a.app)
    try:
        # First run: an empty replica without the demo asks for head office.
        url = s.wait('[data-testid="enroll-url"]', timeout=30)
        check(not s.find_all('[data-testid="pin-ok"]'), "first run shows the enroll screen, not sign-in")
        s.click(s.wait('[data-testid="enroll-submit"]'))
        s.wait("small.bad", text="head office address")
        print("ok empty form: each field says what it needs")
        s.type(url, a.ho)
        s.type(s.wait('[data-testid="enroll-code"]'), a.code)
        s.type(s.wait('[data-testid="enroll-name"]'), "E2E north door")
        s.shot(f"{shots}/00-enroll.png", settle=0.3)
        s.click(s.wait('[data-testid="enroll-submit"]'))
        # The pull of a small demo is quick: catch the progress bar if we can.
        end = time.time() + 5
        caught = False
        while time.time() < end and not caught:
            if s.find_all('[data-testid="pull-progress"]'):
                caught = True
                s.shot(f"{shots}/00-enroll-progress.png", settle=0)
            elif s.find_all('[data-testid="pin-ok"]'):
                break
            time.sleep(0.05)
        print(f"   progress bar {'seen' if caught else 'not seen (pull finished first)'}")
        s.wait('[data-testid="pin-ok"]', timeout=90)
        check(not s.find_all('[data-testid="enroll-error"]'), "enrolled and pulled; sign-in shown")
        s.shot(f"{shots}/01-sign-in.png", settle=0.8)

        # Door staff came from head office through sync.
        sign_in(s, "1111")
        tabs = [s.text(e) for e in s.find_all("nav button")]
        check(
            len(tabs) == 2 and tabs[0].startswith("Door") and tabs[1].startswith("Sync"),
            f"door staff see Door and Sync ({tabs})",
        )
        wait_text(s, '[data-testid="conn"]', lambda t: "Online" in t, "header shows Online")
        s.shot(f"{shots}/02-door.png")

        scan(s, token)
        v = s.wait('[data-testid="verdict"]', text="ADMITTED")
        check("ADMITTED" in s.text(v), "head office ticket: ADMITTED")
        s.shot(f"{shots}/03-door-admitted.png", settle=0.3)

        scan(s, token)
        v = s.wait('[data-testid="verdict"]', text="ALREADY REDEEMED")
        check("gate Main" in s.text(v), "second scan: ALREADY REDEEMED, with the first gate")
        s.shot(f"{shots}/04-door-already-redeemed.png", settle=0.3)

        scan(s, tamper(token))
        v = s.wait('[data-testid="verdict"]', text="REFUSED")
        check("Forged" in s.text(v), "tampered ticket: REFUSED as forged")
        s.shot(f"{shots}/05-door-refused.png", settle=0.3)

        # Door search: a guest without a readable ticket, found by name, checked in by hand.
        s.click(v)  # dismiss the verdict (it covers the screen until it times out)
        guest = ho_guest(a.ho, a.key)
        u = guest["user"]
        typed = f"{u['first_name']} {u['last_name'][:3]}"
        s.type(s.wait('[data-testid="door-search"]'), typed)
        hit = s.wait('[data-testid="door-search-hit"]', text=f"General Admission #{guest['item_id']}")
        check("not used" in s.text(hit), f"door search {typed!r} finds ticket #{guest['item_id']}, not used")
        s.click(hit)
        s.type(s.wait('[data-testid="checkin-reason"]'), "phone battery dead")
        s.shot(f"{shots}/05a-door-search.png", settle=0.3)
        s.click(s.wait('[data-testid="checkin"]'))
        v = s.wait('[data-testid="verdict"]', text="CHECKED IN")
        check("phone battery dead" in s.text(v), "manual check-in admitted, with its reason")
        s.shot(f"{shots}/05b-door-checked-in.png", settle=0.3)

        # An exit gate: the admitted ticket goes out (an exit never uses an entry).
        s.click(v)
        s.click(s.wait('[data-testid="direction-out"]'))
        scan(s, token)
        v = s.wait('[data-testid="verdict"]', text="EXIT")
        check("Exit recorded" in s.text(v), "exit gate: the ticket's exit is recorded")
        s.shot(f"{shots}/05c-door-exit.png", settle=0.3)
        s.click(v)
        s.click(s.wait('[data-testid="direction-in"]'))
        # The door's live numbers: the admitted ticket, the check-in, the exit.
        s.click(s.wait('[data-testid="door-numbers"]'))
        wait_text(s, '[data-testid="stats-admitted"]', lambda t: t.strip().isdigit() and int(t) >= 2, "door numbers: admitted")
        check(bool(s.find_all('[data-testid="stats-chart"] rect')), "door numbers: entries per quarter hour drawn")
        s.shot(f"{shots}/05d-door-numbers.png", settle=0.3)
        s.click(s.wait('[data-testid="door-numbers"]'))
        sign_out(s)

        sign_in(s, "2222")
        s.wait('[data-testid="product"]', text="General Admission")
        # Cash needs an open drawer: open it with the default float of 100.00.
        s.wait('[data-testid="drawer"]', text="Drawer closed")
        s.click(s.wait('[data-testid="drawer-open"]'))
        s.wait('[data-testid="drawer"]', text="Drawer open")
        print("ok drawer opened with a float")
        s.shot(f"{shots}/06-box-office.png")
        s.click(s.wait('[data-testid="product"]', text="General Admission"))
        qty = s.wait('[data-testid="qty"]')
        s.clear(qty)
        s.type(qty, "1")
        s.type(s.wait('[data-testid="buyer-email"]'), "e2e.buyer@example.com")
        s.type(s.wait('[data-testid="buyer-first"]'), "Erin")
        s.shot(f"{shots}/07-box-office-order.png")
        s.click(s.wait('[data-testid="complete-sale"]'))
        s.wait('[data-testid="receipt"]', timeout=20)
        qrs = s.find_all('[data-testid="ticket-qr"] img')
        check(len(qrs) == 1, "sale from the head office allotment shows its QR")
        loaded = s.js(
            "return [...document.querySelectorAll('[data-testid=ticket-qr] img')].every(i => i.complete && i.naturalWidth > 0)"
        )
        check(loaded, "ticket QR image rendered")
        check("49.99" in s.text(s.wait('[data-testid="receipt-total"]')), "receipt total €49.99")
        pdf = s.text(s.wait('[data-testid="pdf-path"]')).split("saved: ", 1)[-1].strip()
        with open(pdf, "rb") as f:
            head = f.read(5)
        check(pdf.endswith(".pdf") and head == b"%PDF-", f"sale PDF saved ({pdf})")
        s.shot(f"{shots}/08-box-office-receipt.png")

        # A split payment: 20.00 cash (50.00 given), the rest by card; the change
        # due shows before the sale is completed.
        s.click(s.wait('[data-testid="new-sale"]'))
        s.click(s.wait('[data-testid="product"]', text="General Admission"))
        s.type(s.wait('[data-testid="buyer-email"]'), "split.buyer@example.com")
        s.click(s.wait('[data-testid="pay-split"]'))
        s.type(s.wait('[data-testid="cash-part"]'), "20.00")
        s.type(s.wait('[data-testid="tendered"]'), "50.00")
        s.wait('[data-testid="change-due"]', text="30.00")
        check("29.99" in s.text(s.wait('[data-testid="quote"]')), "split: the card part is the rest (29.99)")
        s.shot(f"{shots}/07a-box-office-split-change.png")
        s.click(s.wait('[data-testid="complete-sale"]'))
        total = s.text(s.wait('[data-testid="receipt-total"]', timeout=20))
        check("cash" in total and "card" in total, f"receipt shows both parts ({total})")
        check("30.00" in s.text(s.wait('[data-testid="receipt-change"]')), "receipt shows the change")
        # A cash sale, refunded below by a manager.
        s.click(s.wait('[data-testid="new-sale"]'))
        s.click(s.wait('[data-testid="product"]', text="General Admission"))
        s.type(s.wait('[data-testid="buyer-email"]'), "cash.buyer@example.com")
        s.click(s.wait('[data-testid="pay-cash"]'))
        s.type(s.wait('[data-testid="tendered"]'), "60")
        s.wait('[data-testid="change-due"]', text="10.01")
        s.click(s.wait('[data-testid="complete-sale"]'))
        s.wait('[data-testid="receipt"]', timeout=20)
        print("ok cash sale with change 10.01")
        sign_out(s)

        sign_in(s, "444444")
        tabs = [s.text(e) for e in s.find_all("nav button")]
        check(len(tabs) == 8, f"admin sees all 8 screens ({len(tabs)})")
        goto(s, "items")
        s.type(s.wait('[data-testid="item-search"]'), ho_item["id"] + ENTER)
        s.wait(".detail h3", text="History")
        detail = s.text(s.wait(".detail"))
        check("Main" in detail, "the head office item's history shows the door redemption at gate Main")
        email = re.search(r"[\w.+-]+@example\.com", detail)
        check(email is not None, "item detail shows the holder email")
        holder = email.group(0)
        s.shot(f"{shots}/09-items.png")

        goto(s, "issue")
        s.type(s.wait('[data-testid="recipients"]'), "e2e.buyer@example.com, " + holder)
        s.click(s.wait("button.primary", text="Issue 2 items"))
        s.wait(".notice", text="Issued 2")
        print("ok issue: 2 recipients issued from the allotment")
        s.shot(f"{shots}/10-issue.png")

        goto(s, "rewards")
        s.type(s.wait('input[aria-label="Customer"]'), holder + ENTER)
        s.wait(".rewards h2", text="Offers")
        s.shot(f"{shots}/11-rewards.png")

        # F6 is the sixth screen for an admin: Sales.
        s.press(F_KEYS[6])
        s.wait(".sales h2", text="Sales")
        s.wait(".sales svg")
        print("ok F6 opens Sales; chart drawn")
        s.shot(f"{shots}/12-sales.png")
        # Refund the cash sale (the newest order) with a reason.
        s.click(s.wait('[data-testid="refund-start"]'))
        s.type(s.wait('[data-testid="refund-reason"]'), "bought for the wrong night")
        s.click(s.wait('[data-testid="refund-confirm"]'))
        s.wait(".notice", text="Refunded")
        check("49.99" in s.text(s.wait(".notice")), "refund of the whole cash order: 49.99")
        s.wait('[data-testid="sale-row"]', text="refunded 1")
        s.shot(f"{shots}/12a-sales-refund.png")

        # Close the drawer: 100.00 float + 20.00 split cash + 49.99 cash - 49.99
        # refunded = 120.00 expected; counted exactly.
        goto(s, "box")
        s.wait('[data-testid="drawer-expected"]', text="120.00")
        s.type(s.wait('[data-testid="drawer-counted"]'), "120.00")
        s.click(s.wait('[data-testid="drawer-close"]'))
        s.wait('[data-testid="z-report"]')
        check(s.text(s.wait('[data-testid="over-short"]')) == "exact", "Z report: over/short exact")
        zpdf = s.text(s.wait('[data-testid="z-pdf"]')).split("Saved ", 1)[-1].strip()
        with open(zpdf, "rb") as f:
            check(f.read(5) == b"%PDF-", f"Z report PDF saved ({zpdf})")
        s.shot(f"{shots}/08a-drawer-z-report.png")

        goto(s, "sync")
        check("Online" in s.text(s.wait('[data-testid="sync-conn"]')), "sync screen: Online")
        # The background engine uploads the redemption, the sale and the issue.
        wait_text(
            s,
            '[data-testid="pending"]',
            lambda t: t.split() and t.split()[0] == "0",
            "sync screen: pending falls to 0 by itself",
            timeout=45,
        )
        wait_text(s, '[data-testid="header-pending"]', lambda t: t.strip().endswith(" 0"), "header: 0 pending")
        check("just now" in s.text(s.wait('[data-testid="last-sync"]')), "last sync: just now")
        check(s.text(s.wait('[data-testid="conflict-count"]')) == "0", "no conflicts to review")
        s.shot(f"{shots}/13-sync.png")
        sales = ho_get(a.ho, a.key, "/v1/sales?limit=100")
        # The demo seeds no sales: the ones head office lists came from this device.
        check(len(sales["items"]) == 3, "head office has the three sales made at the box office")
        check(
            sum(1 for x in sales["items"] if x.get("refunded") == "49.99") == 1,
            "head office's sales list shows the refund",
        )
        check(
            any(len(x.get("payments", [])) == 2 for x in sales["items"]),
            "head office keeps the split payment's parts",
        )
        sessions = ho_get(a.ho, a.key, "/v1/cash-sessions")["items"]
        check(
            len(sessions) == 1 and sessions[0]["kind"] == "z" and sessions[0]["expected_cash"] == "120.00",
            "head office lists the closed drawer session with its Z report",
        )
        audit = ho_get(a.ho, a.key, "/v1/audit?limit=100")
        entries = audit if isinstance(audit, list) else audit.get("items", audit.get("entries", []))
        check(
            any(e.get("action") == "manual_check_in" and "phone battery dead" in (e.get("detail") or "") for e in entries),
            "head office's audit log has the manual check-in with its reason and staff member",
        )
        import e2e_setup  # noqa: PLC0415 (it imports this module's helpers)

        e2e_setup.run(s, a, shots)
        print("E2E PASSED")
    except Exception:
        # What the window showed when a step failed, for the log reader.
        try:
            s.shot("/tmp/wicket-e2e-failure.png", settle=0)
        except Exception as e:  # noqa: BLE001 (the first failure is the one to report)
            print(f"   (no failure screenshot: {e})")
        raise
    finally:
        s.close()


if __name__ == "__main__":
    try:
        main()
    except Exception as e:
        # e2e_setup raises this module's Fail under the name `e2e`, not `__main__`.
        if type(e).__name__ != "Fail":
            raise
        print(f"FAIL {e}", file=sys.stderr)
        sys.exit(1)
