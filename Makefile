# Zhibao: `make run` serves the demo world, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= zhibao.settings.dev

.PHONY: install run test soak lint messages bench clean browser

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

install: $(VENV)/.installed

messages: install
	@if ls locale/*/LC_MESSAGES/*.po >/dev/null 2>&1; then $(PY) manage.py compilemessages -v0 --ignore=.venv; fi

run: install messages
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py seed_demo
	PORT=$(PORT) PY=$(PY) scripts/run-demo.sh

# Browser tests drive Debian's Chromium (never a downloaded browser); install it where we can, and axe-core from npm.
# The statements' and evidence packs' PDFs (WeasyPrint) set Chinese in Debian's WenQuanYi Micro Hei;
# HarfBuzz's subsetter keeps a PDF at 0.3 s and little memory (without it: 4 s and 120 MB).
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) ; } || \
	  echo "Chromium is not installed and cannot be installed here: browser tests will be skipped."
	@{ fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" && ldconfig -p | grep -q libharfbuzz-subset; } || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get update -qq && apt-get install -y -qq fonts-wqy-microhei libharfbuzz-subset0 >/dev/null) ; } || \
	  echo "fonts-wqy-microhei or libharfbuzz-subset0 is missing: evidence-pack PDFs show no Chinese or render slowly."
	@# axe-core, npm's, for the accessibility checks (tests/browser/test_accessibility.py), pinned by its lock file.
	@test -f tests/browser/axe/node_modules/axe-core/axe.min.js || \
	  npm ci --prefix tests/browser/axe --no-audit --no-fund --silent || \
	  echo "npm could not install axe-core into tests/browser/axe: the accessibility tests will fail."

test: install messages browser
	DJANGO_SETTINGS_MODULE=zhibao.settings.test $(PY) -m pytest $(PYTEST_ARGS)

# The claim-lives state machines (tests/model, issue 13) for longer than `make test` runs them: many
# more examples on a random seed, printed first; `make soak SEED=…` replays one. The racing one needs
# PostgreSQL (DATABASE_URL), as in CI; on SQLite it is skipped.
SOAK_EXAMPLES ?= 400
SOAK_STEPS ?= 60
soak: install messages
	@seed=$${SEED:-$$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}; echo "soak seed: $$seed (replay: make soak SEED=$$seed)"; \
	DJANGO_SETTINGS_MODULE=zhibao.settings.test MODEL_SOAK=1 MODEL_EXAMPLES=$(SOAK_EXAMPLES) MODEL_STEPS=$(SOAK_STEPS) \
	$(PY) -m pytest tests/model/test_claim_lives.py tests/model/test_concurrent_lives.py -q -s -p no:randomly --hypothesis-seed=$$seed $(PYTEST_ARGS)

# The performance figures (docs/performance.md) against a throwaway PostgreSQL and Redis; wrk from Debian.
bench: install messages
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
	PY=$(PY) bench/run.sh $(BENCH_ARGS)

# What CI (.ci/run) and the pre-commit hooks check: style, the import layering (pyproject.toml), no model
# change without its migration, and the types.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run -v0
	$(VENV)/bin/mypy .

clean:
	rm -rf $(VENV) var staticfiles test-output .mypy_cache .import_linter_cache tests/browser/axe/node_modules
