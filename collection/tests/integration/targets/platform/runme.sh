#!/usr/bin/env bash
# The platform target inside a started drill: a stop or a deploy is a fault, which
# hadrill.drills.guard refuses outside one (see setup_started_drill).
set -eux
source ../setup_started_drill/started.sh
ansible-playbook -i ../setup_started_drill/inventory.yml ../setup_started_drill/run.yml -e target=platform "$@"
