# Two entry points: `make book` builds the HTML book on the embedded synthetic data; `make test` runs the tests.
# Both create .venv and install the pinned environment first (requirements.lock) on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PROFILE ?= cpu
RUN_ARGS ?=
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: book test lint lock clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e ".[dev]"
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

book: $(STAMP)
	$(PY) -m painlib run --profile $(PROFILE) $(RUN_ARGS)

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check painlib tests benchmarks notebooks book/_ext
	$(VENV)/bin/ruff format --check painlib tests benchmarks notebooks book/_ext

# Refresh the exact versions after changing dependency ranges in pyproject.toml.
lock: $(STAMP)
	$(PY) -m pip freeze --exclude-editable | grep -v '^painlib' > requirements.lock

clean:
	rm -rf _build book/executed
