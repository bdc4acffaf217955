# Kefu: `make run` starts the assistant, `make test` runs every test layer. Both install what is missing first.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PY310 ?= $(shell scripts/find-python 3.10)
PY311 ?= $(shell scripts/find-python 3.11)
RASA_VENV := .venv-rasa
APP_VENV := .venv
APP_PY := $(APP_VENV)/bin/python
RASA_PY := $(RASA_VENV)/bin/python
KEFU := $(APP_PY) -m kefu
RASA_STAMP := $(RASA_VENV)/.installed
APP_STAMP := $(APP_VENV)/.installed
MODEL := models/rasa/kefu.tar.gz
EMBEDDER := models/multilingual-e5-small/kefu_conversion.json
SENTIMENT := models/sentiment/kefu_sentiment.json
SENTIMENT_DELTA := $(wildcard sentiment/delta/*)
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
WIDGET := widget/dist/widget.js
WIDGET_NPM := widget/node_modules/.package-lock.json
WIDGET_SRC := widget/build.mjs widget/chat.html $(wildcard widget/src/*)
TRAIN_INPUTS := config.yml $(shell find bot/domain training_data -name '*.yml') $(wildcard bot/nlu/*.py)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export RASA_TELEMETRY_ENABLED := false

.PHONY: help install train kb sentiment train-sentiment widget run test lint typecheck test-unit test-bot validate test-conversations test-e2e bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 22

$(RASA_STAMP): requirements/rasa.lock
	@test -x $(RASA_PY) || $(PY310) -m venv $(RASA_VENV)
	$(RASA_PY) -m pip install -q -r requirements/rasa.lock
	@touch $@

# torch first and pinned exactly: any looser requirement pulls several GB of CUDA wheels.
$(APP_STAMP): requirements/app.lock
	@test -x $(APP_PY) || $(PY311) -m venv $(APP_VENV)
	$(APP_PY) -m pip install -q torch==2.13.0
	$(APP_PY) -m pip install -q -r requirements/app.lock
	@touch $@

install: $(RASA_STAMP) $(APP_STAMP)  ## create both virtual environments (idempotent)

$(MODEL): $(TRAIN_INPUTS) | $(RASA_STAMP) $(APP_STAMP) $(SENTIMENT)
	$(KEFU) rasa train --config config.yml --domain bot/domain --data training_data \
		--out models/rasa --fixed-model-name kefu
	@touch $@

train: $(MODEL)  ## train the Rasa model if training data, domain or config changed

$(EMBEDDER): | $(APP_STAMP)
	$(APP_PY) -m knowledge_base setup-model

kb: $(EMBEDDER)  ## convert the embedding model; load the demo FAQ into an empty KB; build the index if missing
	$(APP_PY) -m knowledge_base bootstrap

# The repo keeps only the sentiment delta (LoRA adapter + head, ~2 MB); the full model is rebuilt from the base.
# Rasa loads the sentiment component while it trains, so `make train` builds it first.
$(SENTIMENT): $(SENTIMENT_DELTA) | $(APP_STAMP) $(EMBEDDER)
	$(APP_PY) -m sentiment build

sentiment: $(SENTIMENT)  ## rebuild the ONNX sentiment model from the base encoder plus sentiment/delta

train-sentiment: | $(APP_STAMP) $(EMBEDDER)  ## fine-tune the sentiment model (~90 min on 2 cores; resumes), then rebuild it
	$(APP_PY) -m sentiment train

# The customer web chat: npm installs the locked socket.io-client and esbuild (no install scripts); esbuild bundles
# widget/dist (widget.js for one <script> tag, and the /chat page), which the console serves.
$(WIDGET_NPM): widget/package.json widget/package-lock.json
	@command -v npm >/dev/null || { echo "the web chat needs Node.js 18+ and npm to build" >&2; exit 1; }
	cd widget && npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

$(WIDGET): $(WIDGET_SRC) $(WIDGET_NPM)
	cd widget && node build.mjs

widget: $(WIDGET)  ## build the customer web chat (widget/dist: /widget.js and /chat on the console)

# Browser tests drive Debian's chromium through Playwright (no browser download); apt installs it once.
$(CHROMIUM):
	command -v apt-get >/dev/null || { echo "install Debian's chromium for the browser tests" >&2; exit 1; }
	$(SUDO) apt-get install -y -q chromium || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium; }

run: install train kb sentiment widget  ## start Rasa (:5005), the action server (:5055) and the agent desk (:8000); Ctrl-C stops them
	$(KEFU) serve

test: install train kb sentiment widget lint typecheck test-unit test-bot validate test-conversations test-e2e  ## every test layer

lint: $(APP_STAMP)  ## ruff, and the package boundaries (import-linter contracts in pyproject.toml)
	$(APP_VENV)/bin/ruff check .
	$(APP_VENV)/bin/lint-imports

typecheck: $(APP_STAMP)  ## mypy
	$(APP_VENV)/bin/mypy

test-unit: $(APP_STAMP) $(EMBEDDER) $(SENTIMENT)  ## unit, store, index, review-queue, desk, console-API and action tests (app venv)
	$(APP_PY) -m pytest tests --ignore=tests/bot --ignore=tests/e2e -q

test-bot: $(RASA_STAMP) $(SENTIMENT)  ## tests of the code Rasa loads (Rasa venv)
	$(RASA_PY) -m pytest tests/bot -q -p no:cacheprovider

validate: $(RASA_STAMP) $(APP_STAMP)  ## rasa data validate
	$(KEFU) rasa data validate --config config.yml --domain bot/domain --data training_data --fail-on-warnings

test-conversations: $(MODEL) $(SENTIMENT)  ## conversation tests: rasa test on tests/conversations, failing on any wrong prediction
	$(KEFU) rasa test core --model $(MODEL) --stories tests/conversations \
		--fail-on-prediction-errors --out results/conversations

test-e2e: $(MODEL) $(EMBEDDER) $(SENTIMENT) $(CHROMIUM) $(WIDGET)  ## real servers on loopback: REST, socket.io, the desk's API and the desk in Chromium
	$(APP_PY) -m pytest tests/e2e -q

bench: $(MODEL) $(WIDGET)  ## the main benchmarks (figures for the issue notes); every one is listed in README.md
	$(APP_PY) -m bench.rest_latency
	$(APP_PY) -m bench.nlu_accuracy
	$(APP_PY) -m bench.kb_eval

clean:  ## remove build outputs (models, results, caches); keeps data/ and the venvs
	rm -rf models results .rasa .cache .pytest_cache .mypy_cache .ruff_cache widget/dist
