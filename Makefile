# `make run` and `make test` do all set-up on a fresh machine with Python 3.11+.
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	if $$p -c "import sys; sys.exit(sys.version_info < (3, 11))" >/dev/null 2>&1; then echo $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
# Re-install only when the pinned dependencies change, so a second `make run` starts in seconds.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha1sum | cut -c1-12)

.PHONY: run test lint test-tools install translations openapi bench clean

$(STAMP): pyproject.toml constraints.txt
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is required"; exit 1; }
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[test]"
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP) translations

# Compiles web/locales/*/LC_MESSAGES/messages.po into .mo (not kept in git); the app also does it
# at start when one is missing or stale. Extracting and merging new messages: see babel.cfg.
translations: $(STAMP)
	@$(BIN)/pybabel compile -d web/locales -D messages

run: install
	$(BIN)/metodist serve

test: install test-tools lint
	$(BIN)/pytest

# ruff, pinned with the test dependencies and set up under [tool.ruff] in pyproject.toml:
# `ruff format .` and `ruff check --fix .` mend most of what this refuses.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# What the browser and sign-in tests need beyond Python, installed when missing and possible:
# Debian's Chromium and Node.js (apt-get, when run as root), the OpenID provider's node modules
# (`npm ci` from tests/oidc/package-lock.json) and axe-core for the accessibility tests (`npm ci`
# from tests/axe/package-lock.json). Where Chromium stays missing the browser tests are
# skipped, or fail under CI (CI or METODIST_REQUIRE_BROWSER=1: see tests/chromium.py).
test-tools:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing="$$missing chromium fonts-dejavu-core"; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing for the browser and sign-in tests:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else \
			echo "Missing for the browser and sign-in tests:$$missing (install them; browser tests are skipped meanwhile)"; \
		fi; \
	fi
	@if [ ! -d tests/oidc/node_modules/oidc-provider ] && command -v npm >/dev/null 2>&1; then \
		echo "Installing the test OpenID provider's node modules (npm ci)"; \
		cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error; \
	fi
	@if [ ! -f tests/axe/node_modules/axe-core/axe.min.js ] && command -v npm >/dev/null 2>&1; then \
		echo "Installing axe-core for the accessibility tests (npm ci)"; \
		cd tests/axe && npm ci --no-audit --no-fund --loglevel=error; \
	fi

openapi: install
	$(BIN)/metodist openapi docs/openapi.json

clean:
	rm -rf $(VENV) .data .pytest_cache
