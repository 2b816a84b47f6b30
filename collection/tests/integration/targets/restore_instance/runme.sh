#!/usr/bin/env bash
# The restore_instance target inside a started drill: hadrill.drills.guard refuses a change to a host
# outside one (see setup_started_drill).
set -eux
source ../setup_started_drill/started.sh
ansible-playbook -i ../setup_started_drill/inventory.yml ../setup_started_drill/run.yml -e target=restore_instance "$@"
