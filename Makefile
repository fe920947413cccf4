# The entry points; each target is a script you can also run directly.
.PHONY: up down test lint crds

up:     ## build the tools and Smelter, start the local Kubernetes, run Smelter against it
	tests/up

down:   ## stop what `make up` started
	tests/down

test:   ## run every test against a private local Kubernetes
	tests/run

lint:   ## formatting and clippy, as CI checks them
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

crds:   ## regenerate charts/smelter/crds from the Rust types
	cargo run -q -p smelter-crds --bin crdgen
