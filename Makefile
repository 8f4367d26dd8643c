# The two commands of the README's quick start:
#   make serve   install into .venv, build the index from data/corpus if missing, serve the web UI
#   make test    install the test dependencies (and Debian's chromium for the browser tests), run the suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# gunicorn worker processes (empty: one per core) and the public address for permalinks (empty: http://HOST:PORT/)
WORKERS ?=
BASE_URL ?=

.PHONY: serve test install install-test browser clean-index port-free

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever the declared dependencies change.
$(VENV)/.installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# The production set-up: gunicorn's worker processes (see `searchlib serve --help`).
serve: install port-free
	$(BIN)/searchlib serve --host $(HOST) --port $(PORT) --server gunicorn $(if $(WORKERS),--workers $(WORKERS)) $(if $(BASE_URL),--base-url $(BASE_URL))

# A busy port is one line with the PORT= hint, before anything is built or announced.
port-free: install
	@$(BIN)/searchlib serve --check-port --host $(HOST) --port $(PORT)

# Debian's chromium drives the end-to-end browser tests; installing it needs root
# (CI runs as root). Without it those tests are skipped with a reason, never faked.
# fonts-noto-cjk: without a CJK font Chromium draws every Chinese character in the
# screenshots under tests/artifacts/ as a box.
browser:
	@{ command -v chromium >/dev/null 2>&1 && [ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ]; } || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's chromium and CJK fonts for the browser tests (apt-get, once; about a minute and a half) ..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
	      || echo "warning: could not install chromium; browser tests will be skipped"; \
	  else echo "warning: chromium or CJK fonts missing and not root; browser tests will be skipped or show boxes"; fi; }

test: install-test browser
	$(BIN)/python -m pytest

clean-index:
	rm -rf index/current index/gen-* index/.lock
