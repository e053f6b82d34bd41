# shequ — two commands on a fresh Debian machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCALE ?= full
PORT ?= 8050

.PHONY: demo test bench install test-deps clean

$(BIN)/shequ: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/shequ

install: $(BIN)/shequ

# An embedded database in a temporary folder, the sample returns loaded, a demo login printed, served on :8050.
demo: install
	$(BIN)/shequ demo --port $(PORT)

# Debian packages the tests use, installed when missing and we can: chromium and chromium-driver (browser tests),
# CJK fonts (readable screenshots), postgresql (every database test also runs on a throwaway cluster), redis-server
# (the Celery worker's test), nginx (tests/deploy: the deployment of deploy/README.md, served through nginx),
# poppler-utils (the briefing PDF's tests read it back with pdftotext, pdffonts, pdfinfo, pdftoppm).
test-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v chromedriver >/dev/null 2>&1 || missing="$$missing chromium-driver"; \
	[ -d /usr/share/fonts/opentype/noto ] || missing="$$missing fonts-noto-cjk"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || [ -n "$$SHEQU_TEST_POSTGRES_URL" ] || missing="$$missing postgresql"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	command -v pdftotext >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing="$$missing nginx"; \
	if [ -z "$$missing" ]; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
		sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else echo "missing and cannot be installed here:$$missing — the tests that need them will fail" >&2; fi

test: install test-deps
	$(BIN)/pytest -q -p no:cacheprovider

bench: install test-deps
	$(BIN)/python -m bench --scale $(SCALE)

clean:
	rm -rf $(VENV) test-artifacts bench/out *.egg-info
