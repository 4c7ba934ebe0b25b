# Wicket: `make run` sets up and runs the app; `make test` runs every check and test.
SHELL := /bin/bash
.PHONY: run test setup lint rust-test api-test ui-test e2e claim-e2e print-e2e bench deb

setup:
	scripts/setup.sh

run: setup
	scripts/run.sh

test: lint rust-test api-test ui-test e2e claim-e2e print-e2e

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	if [ -f ui/package.json ]; then (cd ui && npm run lint); fi

# The chain tests need chopsticks (a real Asset Hub runtime); with CI set they fail
# rather than skip when it is missing.
# PostgreSQL: a throwaway cluster (scripts/postgres.sh); the head office suites run
# once on SQLite and once on PostgreSQL, and the multi-process tests need it. A
# missing server fails the run, never skips it.
# Replica keys go to key files (WICKET_KEYSTORE=file): tests never touch a
# developer's OS keyring, and the stolen-replica test knows where the key is.
rust-test:
	scripts/chopsticks.sh install
	url=$$(scripts/postgres.sh env) && export WICKET_KEYSTORE=file && \
	  CI=$${CI:-true} WICKET_TEST_DATABASE_URL=$$url cargo test --workspace && \
	  WICKET_TEST_DATABASE_URL=$$url WICKET_TEST_BACKEND=postgres cargo test -p wicket-headoffice -p wicket-tests

# Schemathesis (PyPI) against a running head office, fixed seed, ~2 minutes: fails
# on any 5xx and on any answer the OpenAPI document does not describe.
api-test:
	scripts/schemathesis.sh

ui-test:
	if [ -f ui/package.json ]; then (cd ui && npm test); fi

e2e:
	if [ -x ui/e2e/run.sh ]; then ui/e2e/run.sh; fi

# The public claim page (/claim/{code}) in headless chromium, phone-sized.
claim-e2e:
	bash scripts/claim-e2e.sh

# The head office benches run SQLite, PostgreSQL with one process and with two
# processes side by side (real `wicket-headoffice serve` processes, release build).
bench:
	cargo bench -p wicket-device --bench redeem
	cargo build --release -p wicket-headoffice
	url=$$(scripts/postgres.sh env) && \
	  WICKET_TEST_DATABASE_URL=$$url cargo bench -p wicket-headoffice --bench api && \
	  WICKET_TEST_DATABASE_URL=$$url cargo bench -p wicket-tests --bench sync
	cargo run --release -p wicket-ticket --bin qrscan -- --corpus ../shared/qr/zxing-cpp-samples
	cargo run --release -p wicket-ticket --bin framebench

# Receipts, tickets and a Z report printed through a real CUPS queue that prints
# to PDF (cups-pdf); the printed PDFs are checked, QR codes decoded back.
print-e2e:
	bash scripts/print-e2e.sh

# The desktop app as a Debian package: target/release/bundle/deb/Wicket_0.1.0_amd64.deb
deb: setup
	ui/node_modules/.bin/tauri build --bundles deb
