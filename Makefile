# shequ — two commands on a fresh Debian machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCALE ?= full
PORT ?= 8050

.PHONY: demo test bench install browser-deps clean

$(BIN)/shequ: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/shequ

install: $(BIN)/shequ

# An embedded database in a temporary folder, the sample returns loaded, a demo login printed, served on :8050.
demo: install
	$(BIN)/shequ demo --port $(PORT)

# Debian's chromium and chromium-driver (and CJK fonts for readable screenshots) when missing and we can install.
browser-deps:
	@if command -v chromedriver >/dev/null 2>&1 && command -v chromium >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			chromium chromium-driver fonts-noto-cjk >/dev/null; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
		sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			chromium chromium-driver fonts-noto-cjk >/dev/null; \
	else echo "chromium/chromedriver missing and cannot be installed here: the browser tests will fail" >&2; fi

test: install browser-deps
	$(BIN)/pytest -q -p no:cacheprovider

bench: install browser-deps
	$(BIN)/python -m bench --scale $(SCALE)

clean:
	rm -rf $(VENV) test-artifacts bench/out *.egg-info
