# Kefu: `make run` starts the assistant, `make test` runs every test layer. Both install what is missing first.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
# The venvs are build outputs, so Python keeps their bytecode even where the environment says not to (Docker images
# and CI often set PYTHONDONTWRITEBYTECODE): otherwise every start recompiles Rasa, TensorFlow and torch, and a
# second `make run` takes 67 s instead of 34.
unexport PYTHONDONTWRITEBYTECODE

PY310 ?= $(shell scripts/find-python 3.10)
PY311 ?= $(shell scripts/find-python 3.11)
RASA_VENV := .venv-rasa
APP_VENV := .venv
APP_PY := $(APP_VENV)/bin/python
RASA_PY := $(RASA_VENV)/bin/python
KEFU := $(APP_PY) -m kefu
# Every build step runs through scripts/step: one line when it starts, progress while it runs, one with its time
# when it ends; the full output goes to data/logs/make/. KEFU_VERBOSE=1 shows it as well.
STEP := $(PY311) scripts/step
TOOLS_VENV := .venv-tools
TOOLS_STAMP := $(TOOLS_VENV)/.installed
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
# `rasa train` is the longest step of a first build; the steps beside it run niced so that it is served first
# (measured on 2 cores the gain is within noise: training keeps both busy, so the total work sets the finish).
BESIDE_TRAIN := nice -n 10
TRAIN_INPUTS := config.yml $(shell find bot/domain training_data -name '*.yml') $(wildcard bot/nlu/*.py)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export RASA_TELEMETRY_ENABLED := false

.PHONY: help build install train kb sentiment train-sentiment widget run run-cluster cluster-packages test test-cluster lint typecheck test-unit test-bot validate test-conversations test-e2e bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 22

# Both venvs fill through scripts/install-venv: uv (pinned in requirements/tools.lock, kept in .venv-tools) when it
# installs, pip when it does not. torch first and pinned exactly: any looser requirement pulls GBs of CUDA wheels.
$(TOOLS_STAMP): requirements/tools.lock
	@$(STEP) uv -- '$(PY311) -m venv $(TOOLS_VENV) && $(TOOLS_VENV)/bin/pip install -q -r requirements/tools.lock \
		&& $(TOOLS_VENV)/bin/uv --version' || echo "  uv is not installable here: the venvs are filled with pip"
	@touch $@

$(RASA_STAMP): requirements/rasa.lock | $(TOOLS_STAMP)
	@$(STEP) install-rasa -- scripts/install-venv $(RASA_VENV) $(PY310) requirements/rasa.lock
	@touch $@

$(APP_STAMP): requirements/app.lock | $(TOOLS_STAMP)
	@$(STEP) install-app -- scripts/install-venv $(APP_VENV) $(PY311) requirements/app.lock torch==2.13.0
	@touch $@

install: $(RASA_STAMP) $(APP_STAMP)  ## create both virtual environments (idempotent)

# Rasa's own cache (.rasa/cache) means a small data change retrains only the components it touches.
# Training scores nothing with the sentiment model (bot/nlu/sentiment_analyzer.py opens it only to serve), so Rasa
# trains beside the embedder, KB and sentiment builds instead of after them.
$(MODEL): $(TRAIN_INPUTS) | $(RASA_STAMP) $(APP_STAMP)
	@$(STEP) train -- $(KEFU) rasa train --config config.yml --domain bot/domain --data training_data \
		--out models/rasa --fixed-model-name kefu
	@touch $@

train: $(MODEL)  ## train the Rasa model if training data, domain or config changed

$(EMBEDDER): | $(APP_STAMP)
	@$(STEP) embedder -- $(BESIDE_TRAIN) $(APP_PY) -m knowledge_base setup-model

# The KB-tuned embedder is rebuilt from the base plus knowledge_base/delta (seconds), not re-tuned (13 minutes).
kb: $(EMBEDDER)  ## convert the embedding model; load the demo FAQ into an empty KB; rebuild the tuned model and index if stale
	@$(STEP) kb -- $(BESIDE_TRAIN) $(APP_PY) -m knowledge_base bootstrap

# The repo keeps only the sentiment delta (LoRA adapter + head, ~2 MB); the full model is rebuilt from the base.
$(SENTIMENT): $(SENTIMENT_DELTA) | $(APP_STAMP) $(EMBEDDER)
	@$(STEP) sentiment -- $(BESIDE_TRAIN) $(APP_PY) -m sentiment build

sentiment: $(SENTIMENT)  ## rebuild the ONNX sentiment model from the base encoder plus sentiment/delta

train-sentiment: | $(APP_STAMP) $(EMBEDDER)  ## fine-tune the sentiment model (~90 min on 2 cores; resumes), then rebuild it
	$(APP_PY) -m sentiment train

# The customer web chat: npm installs the locked socket.io-client and esbuild (no install scripts); esbuild bundles
# widget/dist (widget.js for one <script> tag, and the /chat page), which the console serves.
$(WIDGET_NPM): widget/package.json widget/package-lock.json
	@command -v npm >/dev/null || { echo "the web chat needs Node.js 18+ and npm to build" >&2; exit 1; }
	@$(STEP) widget-npm -- 'cd widget && npm ci --ignore-scripts --no-audit --no-fund'
	@touch $@

$(WIDGET): $(WIDGET_SRC) $(WIDGET_NPM)
	@$(STEP) widget -- 'cd widget && node build.mjs'

widget: $(WIDGET)  ## build the customer web chat (widget/dist: /widget.js and /chat on the console)

# Browser tests drive Debian's chromium through Playwright (no browser download); apt installs it once.
$(CHROMIUM):
	command -v apt-get >/dev/null || { echo "install Debian's chromium for the browser tests" >&2; exit 1; }
	@$(STEP) chromium -- '$(SUDO) apt-get install -y -q chromium || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium; }'

# Redis (the replicas' lock store and message queue; its tests need it), PostgreSQL and HAProxy for the cluster
# profile: Debian's packages, installed once by apt (about 10 s).
REDIS := /usr/bin/redis-server
$(REDIS):
	command -v apt-get >/dev/null || { echo "install redis-server for the cluster profile and its tests" >&2; exit 1; }
	@$(STEP) redis -- '$(SUDO) apt-get install -y -q redis-server || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q redis-server; }'

cluster-packages: $(REDIS)
	@{ ls /usr/lib/postgresql/*/bin/postgres && test -x /usr/sbin/haproxy; } >/dev/null 2>&1 || \
		$(STEP) cluster-packages -- '$(SUDO) apt-get install -y -q postgresql haproxy || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q postgresql haproxy; }'

# Two steps at a time: the venvs fill side by side, then Rasa trains while the KB and the widget build.
build:  ## install, train and build what is missing or stale (what run and test do first)
	@$(MAKE) --no-print-directory -s -j2 install
	@$(MAKE) --no-print-directory -s -j2 train kb sentiment widget

run: build  ## start Rasa (:5005), the action server (:5055) and the agent desk (:8000); Ctrl-C stops them
	@$(KEFU) serve

run-cluster: build cluster-packages  ## PostgreSQL, Redis and HAProxy on loopback, replicas of every server behind the proxy; Ctrl-C stops all
	@$(KEFU) cluster

test: build lint typecheck test-unit test-bot validate test-conversations test-e2e  ## every test layer

lint: $(APP_STAMP)  ## ruff, and the package boundaries (import-linter contracts in pyproject.toml)
	$(APP_VENV)/bin/ruff check .
	$(APP_VENV)/bin/lint-imports

typecheck: $(APP_STAMP)  ## mypy
	$(APP_VENV)/bin/mypy

test-unit: $(APP_STAMP) $(EMBEDDER) $(SENTIMENT)  ## unit, store, index, review-queue, desk, console-API and action tests (app venv)
	$(APP_PY) -m pytest tests --ignore=tests/bot --ignore=tests/e2e -q

test-bot: $(RASA_STAMP) $(SENTIMENT) $(MODEL) $(REDIS)  ## tests of the code Rasa loads (Rasa venv)
	$(RASA_PY) -m pytest tests/bot -q -p no:cacheprovider

validate: $(RASA_STAMP) $(APP_STAMP)  ## rasa data validate
	$(KEFU) rasa data validate --config config.yml --domain bot/domain --data training_data --fail-on-warnings

test-conversations: $(MODEL) $(SENTIMENT)  ## conversation tests: rasa test on tests/conversations, failing on any wrong prediction
	$(KEFU) rasa test core --model $(MODEL) --stories tests/conversations \
		--fail-on-prediction-errors --out results/conversations

test-e2e: $(MODEL) $(EMBEDDER) $(SENTIMENT) $(CHROMIUM) $(WIDGET) cluster-packages  ## real servers on loopback: REST, socket.io, the desk's API, the desk in Chromium, the cluster profile; then every one of those tests again against a 2-replica cluster
	$(APP_PY) -m pytest tests/e2e -q
	KEFU_E2E_PROFILE=cluster $(APP_PY) -m pytest tests/e2e -q

test-cluster: $(MODEL) $(EMBEDDER) $(SENTIMENT) $(CHROMIUM) $(WIDGET) cluster-packages  ## the cluster profile's own tests (replicas, restarts, kills; part of test-e2e), then every end-to-end test against a 2-replica cluster
	$(APP_PY) -m pytest tests/e2e/test_cluster.py -q
	KEFU_E2E_PROFILE=cluster $(APP_PY) -m pytest tests/e2e -q

bench: $(MODEL) $(WIDGET)  ## the main benchmarks (figures for the issue notes); every one is listed in README.md
	$(APP_PY) -m bench.rest_latency
	$(APP_PY) -m bench.load burst
	$(APP_PY) -m bench.nlu_accuracy
	$(APP_PY) -m bench.kb_eval

clean:  ## remove build outputs (models, results, caches); keeps data/ and the venvs
	rm -rf models results .rasa .cache .pytest_cache .mypy_cache .ruff_cache widget/dist
