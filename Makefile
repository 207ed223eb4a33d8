# One command to run the product, one to test it. Only python3 (3.11) is needed beforehand.
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := var/tools
UV := $(TOOLS)/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv

.PHONY: install run test test-citus lint migrate seed clean-var

# The tools' virtualenv gets uv from the system's pip when there is one (a pip of its own
# takes seconds to install first); otherwise from a pip of its own.
$(UV):
	$(PYTHON) -m venv --without-pip $(TOOLS)
	$(PYTHON) -m pip --python $(TOOLS)/bin/python install --quiet --disable-pip-version-check "uv==$(UV_VERSION)" 2>/dev/null \
		|| { $(TOOLS)/bin/python -m ensurepip --upgrade >/dev/null \
		     && $(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"; }

install: $(UV)
	$(UV) sync --frozen --python $(PYTHON) --quiet

## Start PostgreSQL and Redis (embedded unless DATABASE_URL/REDIS_URL are set), migrate,
## seed the demo tenants, then run web + worker + beat until Ctrl-C.
run: install
	.venv/bin/python -m cxgov.launcher

## The whole test suite: lint, import layers, tests.
test: install lint
	.venv/bin/python -m pytest $(PYTEST_ARGS)

## The tests marked citus, on a Citus cluster: CXGOV_CITUS_URL names a coordinator database
## with the citus extension and its workers (e.g. postgres://postgres@127.0.0.1:5440/postgres).
test-citus: install lint
	@test -n "$(CXGOV_CITUS_URL)" || { echo "Set CXGOV_CITUS_URL to a Citus coordinator database, e.g. CXGOV_CITUS_URL=postgres://postgres@127.0.0.1:5440/postgres make test-citus"; exit 2; }
	CXGOV_CITUS_URL=$(CXGOV_CITUS_URL) .venv/bin/python -m pytest -m citus $(PYTEST_ARGS)

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports
