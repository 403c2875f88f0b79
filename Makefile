# Oil & Gas Finder: developer entry points. See README.md.
.PHONY: run test testenv-up testenv-down crdgen deny actionlint fuzz

## run: the API server on its embedded store with demo data
run:
	cargo run -p ogf-api

## test: everything (installs what is missing, starts the test environment, fmt, clippy, all tests)
test:
	bash scripts/test.sh

testenv-up:
	e2e/testenv/testenv.sh up

testenv-down:
	e2e/testenv/testenv.sh down

## crdgen: regenerate the CRD YAML after changing a type in crds/
crdgen:
	cargo run -p ogf-crds --bin crdgen

## deny: cargo-deny licenses, bans and sources (installs cargo-deny once; see docs/testing.md)
deny:
	bash scripts/deny.sh

## actionlint: lint the GitHub workflows (also part of `make test`)
actionlint:
	bash scripts/actionlint.sh

## fuzz: every cargo-fuzz target for 60 s (nightly; `scripts/fuzz.sh SECONDS TARGET...`)
fuzz:
	bash scripts/fuzz.sh
