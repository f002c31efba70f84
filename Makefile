# helpdesk: `make run` serves the demo, `make test` runs the suite. Each creates .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app

.PHONY: run test test-under-load lint clean bench soak two-servers messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.run-installed

RUN_PORT ?= 5000
run: $(VENV)/.run-installed
	$(BIN)/flask db upgrade
	$(BIN)/flask install-defaults
	$(BIN)/flask demo-data
	@echo "Serving on http://127.0.0.1:$(RUN_PORT) with one worker for the scheduled jobs  (Ctrl-C stops both)"
	@[ -n "$$HELPDESK_MAIL_HOST" ] || [ "$$HELPDESK_ENV" = production ] || echo "Mail is captured, not sent: read it at http://127.0.0.1:$(RUN_PORT)/admin/sent-mail (log in as admin@example.com)"
	@# Ctrl-C reaches the server; the trap then stops the worker (a background job ignores it).
	@$(BIN)/flask worker & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/flask run --host 127.0.0.1 --port $(RUN_PORT)

# The suite runs on every core (pytest-xdist; an idle worker takes tests queued for a busy one);
# TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= auto
test: $(VENV)/.dev-installed
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# The same suite while a busy loop spins on every core (LOAD_PROCESSES overrides the count): a
# test that depends on the machine's speed or the wall clock fails here, not some day in CI.
test-under-load: $(VENV)/.dev-installed
	$(BIN)/python bench/under_load.py $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check helpdesk tests app.py

clean:
	rm -rf $(VENV) *.egg-info test-artifacts

# Speed targets of issue 9: gunicorn + a load generator at 100k and 1M cases, SQLite and
# PostgreSQL (HELPDESK_BENCH_POSTGRES_URL); writes bench/RESULTS.md. BENCH_ARGS narrows it,
# e.g. BENCH_ARGS="--cases 100000 --databases sqlite".
bench: $(VENV)/.dev-installed
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Issue 10's soak: mixed customer and agent traffic against gunicorn + PostgreSQL for 5 minutes
# (HELPDESK_SOAK_POSTGRES_URL); CI runs a 20-second version inside the PostgreSQL suite.
soak: $(VENV)/.dev-installed
	$(BIN)/python bench/soak.py $(SOAK_ARGS)

# Two app servers and two workers on one PostgreSQL and one Redis (HELPDESK_TWO_SERVERS_*), one
# worker killed mid-batch; CI runs a 10-second version inside the PostgreSQL suite.
two-servers: $(VENV)/.dev-installed
	$(BIN)/python bench/two_servers.py $(TWO_SERVERS_ARGS)

# Re-extract the marked UI strings, merge them into every catalogue and compile (commit all three).
messages: $(VENV)/.dev-installed
	$(BIN)/pybabel extract -F babel.cfg -k _l --no-location --sort-output --project helpdesk \
		--copyright-holder helpdesk -o helpdesk/translations/messages.pot .
	$(BIN)/pybabel update -i helpdesk/translations/messages.pot -d helpdesk/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d helpdesk/translations
