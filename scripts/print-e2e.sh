#!/usr/bin/env bash
# Printing through a real CUPS queue that prints to PDF (Debian's cups +
# printer-driver-cups-pdf): `wicket settings --printer` chooses the queue, then a
# sale's receipt with its tickets and a closed drawer's Z report go through `lp`
# with no dialog. The PDFs CUPS produced are checked: page count, the order number
# and the report's figures in their text, and each ticket's QR, rendered from the
# printed page, decodes back to that ticket's token. Any failed check fails.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export WICKET_KEYSTORE=file
QUEUE="wicket-e2e-pdf"
WORK="$(mktemp -d /tmp/wicket-print.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL $*" >&2; exit 1; }

for tool in lp lpadmin lpstat pdfinfo pdftotext pdftoppm; do
  command -v "$tool" >/dev/null || fail "$tool missing (scripts/setup.sh installs cups, printer-driver-cups-pdf, poppler-utils)"
done
(cd "$ROOT" && cargo build -q -p wicket-device --bin wicket && cargo build -q -p wicket-ticket --bin qrscan)
WICKET="$CARGO_TARGET_DIR/debug/wicket"
QRSCAN="$CARGO_TARGET_DIR/debug/qrscan"

# The print service: started here when no init system did it.
if ! lpstat -r 2>/dev/null | grep -q "is running"; then
  /usr/sbin/cupsd
  for _ in $(seq 1 50); do lpstat -r 2>/dev/null | grep -q "is running" && break; sleep 0.2; done
fi
lpstat -r | grep -q "is running" || fail "cupsd did not start"
lpadmin -p "$QUEUE" -E -v cups-pdf:/ -P /usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd 2>/dev/null
OUT="$(getent passwd "$(id -un)" | cut -d: -f6)/PDF"

w() { "$WICKET" --db "$WORK/r.db" --staff "Ari Admin" "$@"; }
"$WICKET" --db "$WORK/r.db" demo --customers 20 >/dev/null
w settings --printer "$QUEUE" | grep -q "printer: $QUEUE" || fail "printer not set"
w session open --float 50.00 >/dev/null
sale="$(w --json sell --product "General Admission" --quantity 2 --email print.buyer@example.com --payment cash --tendered 100)"
order="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["sale"]["order_number"])' <<<"$sale")"
mapfile -t items < <(python3 -c 'import json,sys; [print(i["id"]) for i in json.load(sys.stdin)["items"]]' <<<"$sale")
[[ ${#items[@]} == 2 ]] || fail "sale of 2 tickets"

# Wait for CUPS to finish a job and hand back the PDF cups-pdf wrote for it.
printed_pdf() {
  local job="$1" n="${1##*-}" f=""
  for _ in $(seq 1 150); do
    f="$(ls -t "$OUT"/*job_"$n".pdf /var/spool/cups-pdf/ANONYMOUS/*job_"$n".pdf 2>/dev/null | head -1 || true)"
    if [[ -n "$f" ]] && lpstat -W completed -o "$QUEUE" | grep -q "^$job "; then echo "$f"; return; fi
    sleep 0.2
  done
  fail "job $job produced no PDF in $OUT"
}

job="$(w --json receipt "$order" --dir "$WORK" --print | python3 -c 'import json,sys; print(json.load(sys.stdin)["job"])')"
pdf="$(printed_pdf "$job")"
pages="$(pdfinfo "$pdf" | awk '/^Pages:/ {print $2}')"
[[ "$pages" == 3 ]] || fail "receipt + 2 ticket pages printed ($pages pages)"
echo "ok printed receipt: $pages pages ($pdf)"
pdftotext "$pdf" - | grep -q "$order" || fail "order number $order on the printed receipt"
echo "ok order $order on the printed receipt"
for k in 0 1; do
  page=$((k + 2))
  pdftoppm -r 150 -f "$page" -l "$page" -png "$pdf" "$WORK/page"
  png="$(ls "$WORK"/page-*"$page".png | head -1)"
  got="$("$QRSCAN" --json "$png" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["text"] or "")')"
  want="$(w ticket "${items[$k]}" | head -1)"
  [[ -n "$got" && "$got" == "$want" ]] || fail "QR on printed page $page decodes to ticket ${items[$k]} (got '${got:0:40}')"
  echo "ok printed ticket $((k + 1)): its QR decodes back to the ticket's token"
done

# 50.00 float + 2 x 49.00 cash = 148.00 expected; 148.00 counted.
job="$(w session close --counted 148.00 --print | sed -n 's/^printed as job //p')"
[[ -n "$job" ]] || fail "Z report sent to the printer"
pdf="$(printed_pdf "$job")"
text="$(pdftotext -layout "$pdf" -)"
grep -q "Z report" <<<"$text" || fail "Z report printed"
grep -Eq "Expected cash +148.00 EUR" <<<"$text" || fail "expected cash on the printed Z report"
grep -Eq "Over/short +0.00 EUR \(exact\)" <<<"$text" || fail "over/short on the printed Z report"
echo "ok printed Z report: expected 148.00, over/short 0.00"

# No printer: the PDF is still saved, and printing says why it cannot.
w settings --printer off | grep -q "printer: none" || fail "printer cleared"
w receipt "$order" --dir "$WORK/again" >/dev/null
[[ -s "$WORK/again/wicket-order-${order}.pdf" ]] || fail "PDF saved with no printer"
if w receipt "$order" --dir "$WORK" --print 2>/dev/null; then fail "print with no printer must fail"; fi
echo "ok no printer: the PDF is saved, --print refuses"
echo "PRINT E2E PASSED"
