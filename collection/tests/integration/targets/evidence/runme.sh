#!/usr/bin/env bash
# hadrill.drills.evidence seals a small drill started with the inventory of setup_drill_inventory
# (a precondition check, a gate, the end marker), with the hadrill.drills.timer callback
# recording every task, and signs the seal with a drill key made here (drill_signing_key); a second
# run checks the sealed bundle from outside (manifest, signature against an allowed-signers file,
# verify, tampering, secrets, lock).
set -eux
INVENTORY=../setup_drill_inventory/inventory.yml
KEY="${OUTPUT_DIR}/drill-key"
rm -f "$KEY" "$KEY.pub"
ssh-keygen -q -t ed25519 -N '' -C hadrill-drill -f "$KEY"
printf 'hadrill-drill@it %s\n' "$(cut -d' ' -f1,2 "$KEY.pub")" > "${OUTPUT_DIR}/allowed_signers"
ANSIBLE_CALLBACKS_ENABLED="${ANSIBLE_CALLBACKS_ENABLED:+${ANSIBLE_CALLBACKS_ENABLED},}hadrill.drills.timer" \
    ansible-playbook -i "$INVENTORY" drill.yml -e "drill_signing_key=$KEY" "$@"
ansible-playbook -i "$INVENTORY" check_bundle.yml "$@"
