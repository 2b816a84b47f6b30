#!/usr/bin/env bash
# hadrill.drills.evidence seals a small drill started with the inventory of setup_drill_inventory
# (a precondition check, a gate, the end marker), with the hadrill.drills.timer callback
# recording every task; a second run checks the sealed bundle from outside (manifest, verify,
# tampering, secrets, lock).
set -eux
INVENTORY=../setup_drill_inventory/inventory.yml
ANSIBLE_CALLBACKS_ENABLED="${ANSIBLE_CALLBACKS_ENABLED:+${ANSIBLE_CALLBACKS_ENABLED},}hadrill.drills.timer" \
    ansible-playbook -i "$INVENTORY" drill.yml "$@"
ansible-playbook -i "$INVENTORY" check_bundle.yml "$@"
