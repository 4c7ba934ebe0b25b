"""Drive the public claim page in headless Chromium through chromedriver, with
plain W3C WebDriver HTTP calls (as ui/e2e/e2e.py does; no client library).

Usage: claim_e2e.py --ho URL --key WRITE_KEY --driver URL --chromium PATH
                    --profile DIR --downloads DIR [--shots DIR]
Sets up a claimable product and a claim code through the API, then, in a
phone-sized window: opens the claim link, fills name and email, submits, checks
the QR and its download, and opens the link again to see it refused. Each step
prints what it checked; any failed check exits non-zero.
"""

import argparse
import base64
import json
import os
import sys
import time
import urllib.error
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
# A phone (iPhone 12-14 class): CSS pixels.
PHONE = {"width": 390, "height": 844, "pixelRatio": 3.0}
# Offline machine: no first-run, sync, update or QUIC traffic that would hang.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    f"--window-size={PHONE['width']},{PHONE['height']}",
]


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)
    print(f"ok  {what}")


def call(base, method, path, body=None, key=None, timeout=60):
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        raise Fail(f"{method} {path}: {e.code} {e.read()[:300]!r}") from e


class Browser:
    def __init__(self, driver, chromium, profile, downloads):
        self.driver = driver
        caps = {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": CHROMIUM_ARGS + [f"--user-data-dir={profile}"],
                "mobileEmulation": {"deviceMetrics": PHONE},
                "prefs": {
                    "download.default_directory": downloads,
                    "download.prompt_for_download": False,
                },
            },
        }
        value = self.http("POST", "/session", {"capabilities": {"alwaysMatch": caps}})
        self.sid = value["sessionId"]

    def http(self, method, path, body=None):
        value = call(self.driver, method, path, body)
        return value.get("value") if isinstance(value, dict) else value

    def s(self, method, path, body=None):
        return self.http(method, f"/session/{self.sid}{path}", body)

    def close(self):
        try:
            self.s("DELETE", "")
        except Fail:
            pass

    def go(self, url):
        self.s("POST", "/url", {"url": url})

    def js(self, script, *args):
        return self.s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def find_all(self, css):
        found = self.s("POST", "/elements", {"using": "css selector", "value": css})
        return [e[ELEMENT] for e in found]

    def wait(self, css, timeout=20.0):
        end = time.time() + timeout
        while time.time() < end:
            found = self.find_all(css)
            if found:
                return found[0]
            time.sleep(0.1)
        raise Fail(f"no {css} after {timeout}s; page: {self.js('return document.body.innerText')!r}")

    def text(self, el):
        return self.s("GET", f"/element/{el}/text")

    def attr(self, el, name):
        return self.s("GET", f"/element/{el}/attribute/{name}")

    def rect(self, el):
        return self.s("GET", f"/element/{el}/rect")

    def displayed(self, el):
        return self.s("GET", f"/element/{el}/displayed")

    def type(self, el, text):
        self.s("POST", f"/element/{el}/value", {"text": text})

    def click(self, el):
        self.s("POST", f"/element/{el}/click", {})

    def shot(self, path):
        png = self.s("GET", "/screenshot")
        with open(path, "wb") as f:
            f.write(base64.b64decode(png))


def setup(ho, key):
    """An event, a claimable product of it, and two claim codes, via the API."""
    ev = call(ho, "POST", "/v1/events/create", {
        "name": "Summer Night", "start_date": 1900000000, "end_date": 1900014400,
        "location": "Arena", "address": "1 Quay St"}, key)
    p = call(ho, "POST", "/v1/products", {
        "type": "admission", "name": "Floor <standing> & friends", "event_id": ev["id"],
        "is_claimable": True, "stock": 100}, key)
    codes = call(ho, "POST", f"/v1/products/{p['id']}/claim-codes", {"count": 1}, key)
    return p, codes["codes"][0]["url"]


def fits_the_phone(b):
    w = b.js("return [window.innerWidth, document.documentElement.scrollWidth]")
    check(w[0] == PHONE["width"], f"viewport is the phone's {PHONE['width']} CSS px (got {w[0]})")
    check(w[1] <= w[0], f"no sideways scrolling (content {w[1]} px wide)")


def main():
    ap = argparse.ArgumentParser()
    for a in ("--ho", "--key", "--driver", "--chromium", "--profile", "--downloads"):
        ap.add_argument(a, required=True)
    ap.add_argument("--shots")
    args = ap.parse_args()

    product, url = setup(args.ho, args.key)
    check(url.startswith(args.ho + "/claim/"), f"head office hands out {url}")
    b = Browser(args.driver, args.chromium, args.profile, args.downloads)
    try:
        b.go(url)
        b.wait("#claim-form")
        check(b.text(b.wait("#product")) == product["name"], "the form names the product, as typed")
        check("Summer Night" in b.text(b.wait("#event")), "and its event")
        check("2030" in b.text(b.wait("#when")), "and its date")
        fits_the_phone(b)
        if args.shots:
            b.shot(os.path.join(args.shots, "claim-form.png"))

        b.type(b.wait("#name"), "Ana Silva")
        b.type(b.wait("#email"), "ana.claim@example.com")
        b.click(b.wait("#claim"))

        qr = b.wait("#ticket-qr svg")
        check(b.displayed(qr), "the ticket's QR is visible")
        r = b.rect(qr)
        check(r["width"] >= 200 and r["height"] >= 200, f"and big enough to scan ({r['width']:.0f} px)")
        check(r["x"] >= 0 and r["x"] + r["width"] <= PHONE["width"], "and inside the screen")
        check("Ana Silva" in b.text(b.wait("#claimed")), "the page thanks the claimant")
        fits_the_phone(b)
        link = b.wait("#download-qr")
        href = b.attr(link, "href") or ""
        name = b.attr(link, "download") or ""
        check(href.startswith("data:image/svg+xml;base64,"), "a download link carries the QR")
        svg = base64.b64decode(href.split(",", 1)[1]).decode()
        check("<svg" in svg and svg.rstrip().endswith("</svg>"), "the download is an SVG document")
        check(name.startswith("ticket-") and name.endswith(".svg"), f"named {name}")
        if args.shots:
            b.shot(os.path.join(args.shots, "claim-ticket.png"))

        b.click(link)
        target = os.path.join(args.downloads, name)
        end = time.time() + 15
        while time.time() < end and not os.path.exists(target):
            time.sleep(0.2)
        check(os.path.exists(target), f"clicking it saves {name}")
        with open(target, encoding="utf-8") as f:
            check(f.read() == svg, "the saved file is the QR shown")

        items = call(args.ho, "GET", f"/v1/products/{product['id']}/items", key=args.key)["items"]
        check(len(items) == 1 and items[0]["user"]["email"] == "ana.claim@example.com"
              and items[0]["origin"] == "claim", "head office holds the claimed item, hers")

        b.go(url)
        notice = b.wait("#notice")
        check(b.attr(notice, "data-code") == "claim_used", "the same link again is refused")
        check("already been claimed" in b.text(notice), "saying it was already claimed")
        check(not b.find_all("form"), "with no form to fill")
        if args.shots:
            b.shot(os.path.join(args.shots, "claim-used.png"))
    finally:
        b.close()


if __name__ == "__main__":
    try:
        main()
    except Fail as e:
        print(f"FAIL {e}", file=sys.stderr)
        sys.exit(1)
