#!/usr/bin/env bash
# hadrill.drills.drill_start with the drill inventory of setup_drill_inventory (all on localhost).
# Three ansible-playbook runs, because the lock and the journal outlive a run:
#   1. configuration errors, a started drill, a second drill refused while the first one runs,
#      then an undo left open in the journal;
#   2. the next drill is refused until that undo is closed, then starts as drill 02;
#   3. an explicit drill id is claimed.
set -eux
INVENTORY=../setup_drill_inventory/inventory.yml
ansible-playbook -i "$INVENTORY" first_run.yml "$@"
ansible-playbook -i "$INVENTORY" second_run.yml "$@"
ansible-playbook -i "$INVENTORY" -e drill_id=ha_drill_20260101_it_07 third_run.yml "$@"
