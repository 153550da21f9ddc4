# oar-nxc: the README's commands. Every target does its own set-up.
VENV ?= .venv
BIN := $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: setup test lint sanity units changelog docs ee unit integration bench bench-pipeline clean demo testbed testbed-down status-table

setup:
	@scripts/setup-dev.sh

## test: lint, then every test (unit, integration, testbed when root)
test: setup lint
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check src plugins tests bench scripts docs
	$(BIN)/mypy
	MYPYPATH=src:collections $(BIN)/mypy --explicit-package-bases -p ansible_collections.oar.nxc.plugins
	$(BIN)/yamllint -s .
	$(BIN)/ansible-lint -q --offline

## sanity: ansible-test sanity from the collection's path (ansible-core 2.19; ANSIBLE_TEST=... for another)
sanity: setup
	scripts/ansible-test.sh sanity --venv --python 3.11

## units: ansible-test units --venv from the collection's path (tests/unit/plugins/, with the core's wheel)
units: setup
	scripts/ansible-test.sh units --venv --python 3.11 --requirements tests/unit/plugins/

## changelog: antsibull-changelog lint, then the fragment check of this branch (BASE=ref, default origin/main)
changelog: setup
	$(BIN)/antsibull-changelog lint
	$(BIN)/python scripts/changelog-check.py $(if $(BASE),--base $(BASE))

## docs: antsibull-docs lint-collection-docs, then the docs site (build/docs/site/build/html/index.html)
docs: setup
	scripts/docs.sh

## ee: the execution environment's build context (build/ee/context/Containerfile; ansible-builder create)
ee: setup
	scripts/ee-context.sh

unit: setup
	$(BIN)/pytest tests/unit

integration: setup
	$(BIN)/pytest tests/integration

## demo: the local OAR testbed, a real reservation, the oar_nxc inventory of its nodefile, ping
demo:
	@scripts/demo.sh

testbed:
	@tests/testbed/testbed.sh up

testbed-down:
	@tests/testbed/testbed.sh down

## bench: parse and ansible-inventory timings on a 10,000 x 32 nodefile
bench: setup
	$(BIN)/python -m bench.bench_inventory

## bench-pipeline: deploy.yml / no-op rerun / smoke.yml wall times and Ansible's overhead (root, testbed)
bench-pipeline: setup testbed
	$(BIN)/python -m bench.bench_pipeline

## status-table: the README's list of compositions, from the reports kept in docs/ci-status
status-table: setup
	$(BIN)/oar-nxc report --table docs/ci-status --compositions compositions --update README.md

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache bench/out
