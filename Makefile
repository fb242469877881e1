# Two commands do all the set-up: `make up` (run the product) and `make test` (the full suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | sha256sum | cut -c1-16)

.PHONY: up test lint format bench clean browser replay-check

$(STAMP): pyproject.toml requirements.lock
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip
	$(VENV)/bin/python -m pip install -q -r requirements.lock
	$(VENV)/bin/python -m pip install -q --no-deps -e .
	@rm -f $(VENV)/.installed-* && touch $@

up: $(STAMP)
	$(VENV)/bin/cosell up

# Two workers: most tests wait on Temporal, Postgres or a browser, so two share 2 cores well.
TEST_WORKERS ?= 2
test: $(STAMP) lint browser
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadgroup

# The browser test drives Debian's Chromium (Playwright's own browser download is not reachable).
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium chromium-driver)

# The gate before deploying a worker build: every saved history (and, with RUNNING=N, N open workflows of
# COSELL_TASK_QUEUE on COSELL_TEMPORAL_ADDRESS) must replay on this code. See README, "Upgrading workers".
replay-check: $(STAMP)
	$(VENV)/bin/cosell replay-check --running $(or $(RUNNING),0)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Every benchmark in bench/, one after another (tens of minutes): figures, same-run baselines and ratios.
bench: $(STAMP)
	$(VENV)/bin/python -m bench --json bench-results.json

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) .cosell .pytest_cache .mypy_cache .ruff_cache
