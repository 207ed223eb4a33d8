# One command to run the product, one to test it. Only python3 (3.11) is needed beforehand.
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := var/tools
UV := $(TOOLS)/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv

.PHONY: install run test lint migrate seed clean-var

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

install: $(UV)
	$(UV) sync --frozen --python $(PYTHON) --quiet

## Start PostgreSQL and Redis (embedded unless DATABASE_URL/REDIS_URL are set), migrate,
## seed the demo tenants, then run web + worker + beat until Ctrl-C.
run: install
	.venv/bin/python -m cxgov.launcher

## The whole test suite: lint, import layers, tests.
test: install lint
	.venv/bin/python -m pytest $(PYTEST_ARGS)

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports
