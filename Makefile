# birdhouse: `make all` builds, tests and pushes the catalog; `make test` runs the tests.
# Both install and start what is missing first (scripts/setup.sh, as root). CI runs `make test`.
# unit, lint, typecheck and format need only the Python environment, made without root.
PYTHON := .venv/bin/python
VENV := .venv/.installed
IMAGES ?=
PLATFORMS ?=
PLATFORM_ARGS := $(if $(PLATFORMS),--platform $(PLATFORMS))
KEEP_DAYS ?= 30
REGISTRY_HOME := $(or $(BIRDHOUSE_HOME),/var/lib/birdhouse)

.DEFAULT_GOAL := help
.PHONY: help venv setup all list plan render build report docs bench test unit integration lint format typecheck registry-gc clean

help: ## show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "  IMAGES='python-*' narrows all/plan/render/build/report to matching image ids"
	@echo "  PLATFORMS=linux/arm64 (or all: the catalog's) builds for those platforms, others than the host's under qemu (default: the host's own)"

venv: $(VENV) ## the Python environment in .venv (no root needed), remade when pyproject.toml changes

$(VENV): pyproject.toml
	python3 -m venv .venv
	.venv/bin/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(VENV)

setup: $(VENV) ## (root) install and start what is missing: Debian packages, the engine, the package cache
	@scripts/setup.sh

all: setup ## the main job: build, test and push every image to the registry, then the table
	$(PYTHON) -m builder all $(PLATFORM_ARGS) $(IMAGES)

list: $(VENV) ## list the catalog's images
	$(PYTHON) -m builder list $(PLATFORM_ARGS) $(IMAGES)

plan: $(VENV) ## print what a run would do and why, touching nothing
	$(PYTHON) -m builder plan $(PLATFORM_ARGS) $(IMAGES)

render: $(VENV) ## write the Dockerfiles to out/render/<id>/
	$(PYTHON) -m builder render $(PLATFORM_ARGS) $(IMAGES)

build: setup ## build (no tests, no push)
	$(PYTHON) -m builder build $(PLATFORM_ARGS) $(IMAGES)

report: $(VENV) ## write out/report.{json,html,md} from the last run
	$(PYTHON) -m builder report $(PLATFORM_ARGS) $(IMAGES)

docs: $(VENV) ## write docs/images/<language>.md, a usage page per language, from the catalog and the last run
	$(PYTHON) -m builder docs

bench: setup ## (after `make all`) build the fat comparators, measure the goals side by side, write docs/performance.md
	$(PYTHON) -m builder report --compare-fat $(IMAGES)
	$(PYTHON) bench/bench.py --write docs/performance.md

test: setup lint typecheck unit integration ## every check CI runs: lint, types, unit and integration tests

unit: $(VENV) ## unit tests: pure logic, no Docker, seconds
	$(PYTHON) -m pytest tests/unit -q

integration: setup ## integration tests on the real engine and registry
	$(PYTHON) -m pytest tests/integration -q

lint: $(VENV) ## ruff lint and format check
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .

format: $(VENV) ## apply ruff's fixes and formatting
	$(PYTHON) -m ruff check --fix .
	$(PYTHON) -m ruff format .

typecheck: $(VENV) ## mypy, strict, on builder/ and tests/
	$(PYTHON) -m mypy

registry-gc: setup ## the embedded registry's retention: drop builds older than KEEP_DAYS (30) that no tag serves nor the ledger names, then reclaim their disk
	$(PYTHON) -m builder gc --keep-days $(KEEP_DAYS)
	-pkill -f '[d]ocker-registry serve $(REGISTRY_HOME)/registry.yml'
	while pgrep -f '[d]ocker-registry serve $(REGISTRY_HOME)/registry.yml' >/dev/null; do sleep 0.5; done
	docker-registry garbage-collect --delete-untagged $(REGISTRY_HOME)/registry.yml
	@echo "registry-gc: done; the next builder command starts the registry again"

clean: ## remove out/ and the images birdhouse tagged locally (not the registry's)
	rm -rf out
	-docker images --filter label=dev.birdhouse.id -q | sort -u | xargs -r docker rmi -f
