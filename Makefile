# hadrill — HA failure drills as code.
# Two commands set everything up on a fresh Debian 12 / Ubuntu machine: `make rehearse` and `make test`.

VENV      ?= .venv
# make test-compat: the oldest ansible-core the collection declares (meta/runtime.yml).
COMPAT_ANSIBLE_CORE ?= ansible-core==2.16.*
PYTHON    := $(VENV)/bin/python
INVENTORY ?= inventories/local
SHELL     := /bin/bash

export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help venv rehearse rehearse-hosts sandbox sandbox-down sandbox-hosts-down drill test test-unit test-unit-both test-integration test-integration-default test-integration-second test-collection test-compat test-hosts lint sanity ee molecule molecule-up molecule-down bench campaign clean

help:
	@echo "make rehearse      set up everything, bring up the local sandbox and run the drill against it"
	@echo "make rehearse-hosts  the same on six hosts reached over SSH as an unprivileged user with sudo"
	@echo "                   (inventories/hosts-sandbox; HOSTS_API_REPLICAS=N API hosts, default 2)"
	@echo "make test          unit tests, lint (ansible-lint, ansible-test sanity), integration tests against"
	@echo "                   the real sandbox, the collection's ansible-test integration targets, molecule,"
	@echo "                   then make test-hosts"
	@echo "make test-hosts    molecule scenario hosts: the multi-host sandbox with six API replicas up, the"
	@echo "                   three-scenario drill, reachability and interruption tests over SSH, torn down"
	@echo "make sandbox       bring the local sandbox up (idempotent)"
	@echo "make sandbox-down  remove the local sandbox (no process, port or data dir left)"
	@echo "make sandbox-hosts-down  remove the multi-host sandbox (namespaces, bridge, sshd, users, its root)"
	@echo "make test-compat   ansible-test sanity and unit tests on ansible-core 2.16 (a second venv)"
	@echo "make lint          ansible-test sanity, ansible-lint, ruff, mypy"
	@echo "make ee            the execution environment image (podman or docker; says so when neither runs)"
	@echo "make bench         benchmarks (print measured ratios)"
	@echo "make campaign      the interruption campaign"

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@./scripts/bootstrap-os
	@test -x $(PYTHON) || /usr/bin/python3 -m venv $(VENV)
	$(PYTHON) -m pip install -q --upgrade pip
	$(PYTHON) -m pip install -q -e '.[dev]'
	@touch $@

sandbox: venv
	ansible-playbook playbooks/sandbox.yml -i $(INVENTORY)

sandbox-down: venv
	ansible-playbook playbooks/sandbox.yml -i $(INVENTORY) -e sandbox_state=absent

rehearse: sandbox
	@./scripts/rehearse $(INVENTORY)

# The multi-host sandbox: one network namespace per host, each with its own address, sshd and
# services, reached over SSH as an unprivileged user with sudo; HOSTS_API_REPLICAS API replicas
# (a sandbox already up with more is refused: make sandbox-hosts-down, or the same number).
HOSTS_API_REPLICAS ?= 2
rehearse-hosts: venv
	HADRILL_HOSTS_API_REPLICAS=$(HOSTS_API_REPLICAS) ansible-playbook playbooks/sandbox-hosts.yml -i inventories/hosts-sandbox
	@HADRILL_HOSTS_API_REPLICAS=$(HOSTS_API_REPLICAS) ./scripts/rehearse inventories/hosts-sandbox

sandbox-hosts-down: venv
	ansible-playbook playbooks/sandbox-hosts.yml -i inventories/hosts-sandbox -e sandbox_state=absent

# molecule scenario hosts: the multi-host sandbox up with six API replicas, tests/integration/hosts
# (the three-scenario drill over SSH with the rollback's canary slice of two, reachability, the
# campaign's CI subset), every host at baseline, then torn down to nothing.
test-hosts: venv
	molecule test -s hosts

# The checks that need no sandbox run side by side (each one's output is printed whole when it
# ends). Then molecule's steps run one by one around the integration tests, so that these use the
# sandbox molecule has just brought up and verified, and its destroy step (which checks that
# nothing is left) tears down a sandbox that has been through every drill.
test: venv
	$(MAKE) --no-print-directory -j3 --output-sync=target test-unit-both lint test-collection
	$(MAKE) --no-print-directory molecule-up test-integration molecule-down
	$(MAKE) --no-print-directory test-hosts

test-unit: venv
	$(PYTHON) -m pytest -q tests/unit

# The integration suite in two halves side by side, each against its own sandbox: the default one
# (molecule-up brings it up; make sandbox outside make test) and a second one, the same deployment
# with its own root, ports, stanza, user and drill environment (SECOND_SANDBOX_VARS), which the
# second half's test session brings up and which is torn down after it, whatever the result. Most
# of a drill's time is waiting (observation windows, traffic, WAL replay), so the halves share the
# two cores well; each prints its own slowest tests.
INTEGRATION_SECOND  := tests/integration/rollback tests/integration/restore tests/integration/replay \
                       tests/integration/campaign
SECOND_SANDBOX_VARS := $(CURDIR)/tests/integration/sandbox/second-sandbox.yml
PYTEST_INTEGRATION   = $(PYTHON) -m pytest -q --durations=15 -m "not campaign and not hosts"

test-integration: venv
	$(MAKE) --no-print-directory -j2 --output-sync=target test-integration-default test-integration-second

test-integration-default: venv
	$(PYTEST_INTEGRATION) tests/integration $(addprefix --ignore=,$(INTEGRATION_SECOND))

test-integration-second: venv
	@status=0; \
	HADRILL_SANDBOX_VARS=$(SECOND_SANDBOX_VARS) $(PYTEST_INTEGRATION) $(INTEGRATION_SECOND) || status=$$?; \
	echo "tearing the second sandbox down ($(SECOND_SANDBOX_VARS))"; mkdir -p $(CURDIR)/artifacts; \
	ansible-playbook playbooks/sandbox.yml -i $(INVENTORY) -e @$(SECOND_SANDBOX_VARS) -e sandbox_state=absent \
	  > $(CURDIR)/artifacts/second-sandbox-down.log 2>&1 || { tail -40 $(CURDIR)/artifacts/second-sandbox-down.log; status=1; }; \
	exit $$status

# One ansible-test integration target per module (collection/tests/integration/targets).
test-collection: venv
	./scripts/ansible-test-integration

lint: venv sanity
	ansible-lint
	$(VENV)/bin/ruff check
	$(VENV)/bin/mypy

# The unit tests on the newest ansible-core (.venv), then on the oldest (test-compat): one after
# the other, since two unit-test runs at once would share this machine's ports and temporary paths.
test-unit-both: test-unit
	$(MAKE) --no-print-directory test-compat

# Sanity and unit tests on the oldest ansible-core declared (scripts/test-compat, .venv-compat).
test-compat: venv
	COMPAT_ANSIBLE_CORE='$(COMPAT_ANSIBLE_CORE)' ./scripts/test-compat

# The execution environment (execution-environment.yml): wheel, collection tarball, build context,
# then the image where podman or docker runs (exit 2 and a message where neither does).
ee: venv
	./scripts/build-ee

sanity: venv
	./scripts/ansible-test-sanity

molecule: venv
	molecule test -s sandbox

molecule-up: venv
	molecule destroy -s sandbox
	molecule converge -s sandbox
	molecule idempotence -s sandbox
	molecule verify -s sandbox

molecule-down: venv
	molecule destroy -s sandbox

bench: venv
	$(PYTHON) -m pytest -q -s tests/bench

campaign: venv
	$(PYTHON) -m pytest -q -s tests/integration/campaign

# The README's picture of a report (collection/docs/images/report.png), drawn by Chromium from the
# newest sealed bundle under artifacts/ha_drill (make rehearse makes one) or BUNDLE=<bundle dir>.
screenshot: venv
	$(PYTHON) scripts/report-screenshot $(BUNDLE)

clean:
	rm -rf $(VENV) .venv-compat .pytest_cache build dist *.egg-info python/*.egg-info
