# The portal's two commands: `make run` serves it with embedded defaults, `make test` runs the whole suite.
# Needs Python >= 3.12 (Django 6) and make. PYTHON may name the interpreter: `make run PYTHON=python3.13`.

VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# The first interpreter found that is Python 3.12 or newer.
PYTHON ?= $(shell for c in python3.13 python3.12 python3.14 python3 python $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3; do \
	$$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$c; break; }; done)

.PHONY: run test lint format clean venv worker messages bench bench-load

$(BIN)/.installed: requirements.txt
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (Django 6); set PYTHON=/path/to/python3.12"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.installed-test: $(BIN)/.installed requirements-test.txt
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

venv: $(BIN)/.installed

run: $(BIN)/.installed
	$(PY) manage.py compile_catalogues
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(PY) manage.py seed_demo
	@echo "The portal is at http://127.0.0.1:8000/ (Ctrl-C stops it)."
	DEBUG=$${DEBUG:-1} $(PY) manage.py runserver 127.0.0.1:8000

# Development only: one worker process with beat inside it. Needs REDIS_URL (without it tasks run inline
# in the web process and `manage.py sweep_awaiting` runs the periodic work once).
worker: $(BIN)/.installed
	@test -n "$$REDIS_URL" || { echo "Set REDIS_URL, e.g. REDIS_URL=redis://127.0.0.1:6379/0 make worker"; exit 1; }
	$(BIN)/celery -A portal worker --beat --loglevel=INFO

node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: browser tests will be skipped (they need axe-core from npm and Chromium)"; fi

test: $(BIN)/.installed-test node_modules/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(PY) manage.py compile_catalogues
	$(BIN)/pytest $(PYTEST_ARGS)
	@# Second and last: the outage tests stop and start the machine's PostgreSQL and Redis (skipped where they may not).
	$(BIN)/pytest -m outage $(PYTEST_ARGS)

lint: $(BIN)/.installed-test
	$(BIN)/ruff check .

format: $(BIN)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The benchmark of issue #10 (README, "Benchmark"), on PostgreSQL only: seeds BENCH_REQUESTS requests when the
# bench data is absent (BENCH_RESEED=1 re-seeds), then times every scenario against the floor view. Pass options
# to the runner with BENCH_ARGS, e.g. BENCH_ARGS="--iterations 500 --only search".
BENCH_REQUESTS ?= 1000000

bench: $(BIN)/.installed
	@case "$$DATABASE_URL" in postgres://*|postgresql://*|pgsql://*|psql://*) ;; \
	*) echo "make bench needs PostgreSQL, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench make bench"; \
	   exit 1;; esac
	$(PY) manage.py migrate --noinput
	@if [ -n "$(BENCH_RESEED)" ]; then $(PY) manage.py seed_bench --requests $(BENCH_REQUESTS) --reset; \
	elif $(PY) manage.py bench --check-data 2>/dev/null; then \
	  echo "(not re-seeded; BENCH_RESEED=1 loads $(BENCH_REQUESTS) requests afresh)"; \
	else $(PY) manage.py seed_bench --requests $(BENCH_REQUESTS); fi
	$(PY) manage.py bench $(BENCH_ARGS)

# The load run on the same data (README, "Benchmark"): gunicorn + whitenoise, driven by locust from a second process.
$(BIN)/.installed-bench: $(BIN)/.installed requirements-bench.txt
	$(PY) -m pip install --quiet -r requirements-bench.txt
	touch $@

bench-load: $(BIN)/.installed-bench
	@$(PY) manage.py bench --check-data || { echo "No benchmark data here: run make bench first"; exit 1; }
	$(PY) manage.py bench_load $(BENCH_LOAD_ARGS)

# Developers: refresh the catalogues after changing strings (needs GNU gettext's xgettext and msgmerge), then
# translate what is new or fuzzy; the test suite fails while any entry is untranslated or fuzzy.
messages: $(BIN)/.installed
	$(PY) manage.py makemessages --no-obsolete --add-location=file --ignore='.venv/*' --ignore='node_modules/*' \
		--ignore='var/*' --ignore='*/tests/*' -l de -l es -l id -l ja -l ko

clean:
	rm -rf $(VENV) var
