# ogi — developer and CI entry points. GNU make. `make help` lists the targets.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

CARGO ?= cargo
# Where cargo puts its output: $(CARGO_TARGET_DIR) when set, else ./target.
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
OGI := $(TARGET_DIR)/debug/ogi
# Where `make tools` installs nats-server (bin/nats-server below it).
TOOLS_DIR ?= $(CURDIR)/.tools
export TOOLS_DIR
# Data directory of the local dev instance started by `make run`.
DATA_DIR ?= .ogi-data
# The demo agency's cases (examples/anju-2024/README.md).
FIXTURE ?= examples/anju-2024/cases.jsonl
# Where `make image` writes the OCI archives.
IMAGES_DIR ?= $(TARGET_DIR)/images
# Extra arguments for `cargo test`, e.g. TEST_ARGS='-p ogi-core' or
# TEST_ARGS='-- --nocapture'.
TEST_ARGS ?=

INSTALL_TOOLS := scripts/install-tools.sh
# Exports OGI_NATS_SERVER (a nats-server >= 2.10) into a recipe's shell.
WITH_NATS := OGI_NATS_SERVER="$$($(INSTALL_TOOLS) --print-path)"; export OGI_NATS_SERVER;

.PHONY: help tools browser-tools build run test lint fmt bench clean-data image

help: ## List the targets
	@echo "Targets:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## /  \1\t/' | expand -t 14
	@echo "Variables: CARGO_TARGET_DIR, TOOLS_DIR (.tools), DATA_DIR (.ogi-data), TEST_ARGS, IMAGES_DIR (target/images)"

tools: ## Install nats-server >= 2.10 into TOOLS_DIR unless one is found, and buildah (apt-get)
	@$(INSTALL_TOOLS)

# The console's browser journeys (tests/browser, run by tests/tests/console_browser.rs):
# Debian's chromium and CJK fonts (apt-get) and the pinned npm packages (npm ci), when missing.
browser-tools: ## Install chromium, fonts-noto-cjk and tests/browser's npm packages when missing
	@scripts/install-browser.sh

build: ## Build all workspace binaries
	$(CARGO) build --workspace --bins

run: tools build ## Start a local dev instance in DATA_DIR, loading the fixture on first start
	$(WITH_NATS) $(OGI) dev --data-dir $(DATA_DIR) --load-fixture-if-new $(FIXTURE)

# Binaries are built first so that tests of one crate can run another
# crate's binary (ogi_testkit::binary). RUST_TEST_THREADS is unset: tests
# must pass when run in parallel.
test: tools browser-tools deploy-check oidc-deps ## Run every test of the workspace, browser journeys included (needs PostgreSQL on 127.0.0.1:5432)
	$(WITH_NATS) unset RUST_TEST_THREADS; \
	  echo "using nats-server $$OGI_NATS_SERVER"; \
	  $(CARGO) build --workspace --bins; \
	  $(CARGO) test --workspace --all-targets $(TEST_ARGS)

# The OpenID Connect provider of tests/tests/sso.rs runs on Node (oauth2-mock-server, pinned
# in tests/oidc/package-lock.json): installed from the lockfile when missing. Without node
# the test skips itself.
.PHONY: oidc-deps
oidc-deps:
	@if command -v node >/dev/null 2>&1 && [ ! -d tests/oidc/node_modules/oauth2-mock-server ]; then \
	  npm ci --prefix tests/oidc --no-audit --no-fund; \
	fi

lint: ## Check formatting and run clippy with warnings as errors
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt: ## Format all code
	$(CARGO) fmt --all

# OGI_BENCH_CASES (pipeline, 2000), OGI_BENCH_REPORT_CASES (1000000) and
# OGI_BENCH_REBUILD_EVENTS (1000000; 5000000 for the issue's full aim) size the runs.
bench: tools ## Benchmark on PostgreSQL: the pipeline, the annual report over 1M cases, a rebuild from the streams
	$(WITH_NATS) $(CARGO) build --release --workspace --bins; \
	  $(CARGO) bench -p ogi-e2e --bench pipeline --bench report --bench case_list

# One OCI image per binary (ogi-intake … ogi-reporting, ogi), built with buildah
# from scratch without a container engine, written as IMAGES_DIR/<binary>.oci.tar.
image: tools ## Build one OCI image per binary (release, buildah, no Docker engine) into IMAGES_DIR
	$(CARGO) build --release --locked --workspace --bins
	scripts/build-images.sh --profile release --out $(IMAGES_DIR)

clean-data: ## Delete the dev instance data directory DATA_DIR
	rm -rf -- $(DATA_DIR)

# Offline check of deploy/ (kustomize overlays rendered and validated against
# strict Kubernetes and CloudNativePG schemas, ogi's own rules, checkov on the
# rendered manifests). Installs its pinned tools into
# TOOLS_DIR/deploy on first use (2-3 minutes), then runs offline in ~30 s.
.PHONY: deploy-check
deploy-check: ## Validate deploy/ offline: kustomize overlays, strict schemas, checkov
	scripts/check-deploy.sh
