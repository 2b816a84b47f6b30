# Sourced by the runme.sh of a target whose module changes a host (hadrill.drills.guard refuses
# unless a drill was started in this run): stands in for hadrill.drills.drill_start by writing what
# the guard reads - the drill's drill.json and the environment's drill lock - held by this shell,
# of which ansible-playbook and its workers are descendants. The inventory sets the class.
STARTED_DRILL_ID=${STARTED_DRILL_ID:-ha_drill_20260101_it_01}
STARTED_EVIDENCE_ROOT="${OUTPUT_DIR}/evidence"
mkdir -p "${STARTED_EVIDENCE_ROOT}/${STARTED_DRILL_ID}" "${STARTED_EVIDENCE_ROOT}/.locks"
chmod 0750 "${STARTED_EVIDENCE_ROOT}/${STARTED_DRILL_ID}"
printf '{"drill_id": "%s", "environment": "it", "environment_class": "sandbox", "scenarios": ["restore", "rollback", "replay"]}\n' \
    "${STARTED_DRILL_ID}" > "${STARTED_EVIDENCE_ROOT}/${STARTED_DRILL_ID}/drill.json"
printf '{"drill_id": "%s", "pid": %d, "since": "%s"}\n' "${STARTED_DRILL_ID}" "$$" "$(date -u +%Y-%m-%dT%H:%M:%S.000000Z)" \
    > "${STARTED_EVIDENCE_ROOT}/.locks/it.json"
export STARTED_DRILL_ID STARTED_EVIDENCE_ROOT
# The targets are roles of the targets directory (run.yml includes the one named by `target`).
export ANSIBLE_ROLES_PATH="$(cd .. && pwd)${ANSIBLE_ROLES_PATH:+:${ANSIBLE_ROLES_PATH}}"
