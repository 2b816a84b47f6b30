"""Shared integration fixture: the real local sandbox (playbooks/sandbox.yml on inventories/local).

`sandbox` (session scope) brings the sandbox up once per session with the playbook unless it is
already up and healthy, and exposes the inventory's facts as a drill sees them (templated by
Ansible, not re-derived here): load-balancer and API URLs, the DB admin DSN, the supervisorctl
command, the API keys, the release directories and the ports. Any test package may use it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.bundles import assert_matches_schemas, bundles_under
from tests.support.http import HttpResult, request
from tests.support.wait import wait_until

REPO = Path(__file__).resolve().parents[2]
INVENTORY = REPO / "inventories" / "local"
SANDBOX_PLAYBOOK = REPO / "playbooks" / "sandbox.yml"
FACTS_PLAYBOOK = Path(__file__).resolve().parent / "sandbox" / "inventory_facts.yml"
VENV_BIN = REPO / ".venv" / "bin"
PLAYBOOK_TIMEOUT = 900  # seconds; a first bring-up on a fresh machine installs packages
# A second sandbox beside the default one (another root, other ports, another drill environment):
# point HADRILL_SANDBOX_VARS at an extra-vars file that overrides sandbox_root, sandbox_port_base,
# sandbox_pg_port and drill_environment. Every playbook and drill of the tests then uses it.
SANDBOX_VARS = os.environ.get("HADRILL_SANDBOX_VARS")


def extra_vars_args() -> list[str]:
    """-e @file for the alternative sandbox, or nothing for the default one."""
    return ["-e", f"@{SANDBOX_VARS}"] if SANDBOX_VARS else []
_RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)


def ansible_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}:{env.get('PATH', '/usr/bin:/bin')}"
    env["ANSIBLE_CONFIG"] = str(REPO / "ansible.cfg")
    env.setdefault("ANSIBLE_FORCE_COLOR", "0")
    env["ANSIBLE_NOCOLOR"] = "1"
    return env


@dataclass
class PlaybookRun:
    returncode: int
    output: str
    seconds: float

    def recap(self) -> dict[str, dict[str, int]]:
        """host -> {ok, changed, unreachable, failed} from PLAY RECAP."""
        return {
            m.group(1): {"ok": int(m.group(2)), "changed": int(m.group(3)),
                         "unreachable": int(m.group(4)), "failed": int(m.group(5))}
            for m in _RECAP.finditer(self.output)
        }

    @property
    def changed(self) -> int:
        return sum(host["changed"] for host in self.recap().values())

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.output.splitlines()[-lines:])


def run_playbook(playbook: Path, *extra: str, timeout: float = PLAYBOOK_TIMEOUT, inventory: Path = INVENTORY) -> PlaybookRun:
    started = time.monotonic()
    proc = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "-i", str(inventory), *extra_vars_args(), str(playbook), *extra],
        cwd=REPO, env=ansible_env(), capture_output=True, text=True, timeout=timeout,
    )
    return PlaybookRun(proc.returncode, proc.stdout + proc.stderr, time.monotonic() - started)


def run_sandbox_playbook(state: str = "present", inventory: Path = INVENTORY) -> PlaybookRun:
    return run_playbook(SANDBOX_PLAYBOOK, "-e", f"sandbox_state={state}", inventory=inventory)


def load_inventory_facts(inventory: Path = INVENTORY) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="sandbox-facts-") as tmp:
        out = Path(tmp) / "facts.json"
        run = run_playbook(FACTS_PLAYBOOK, "-e", f"facts_out={out}", timeout=120, inventory=inventory)
        assert run.returncode == 0, f"rendering the inventory facts failed:\n{run.tail()}"
        return json.loads(out.read_text(encoding="utf-8"))


@dataclass
class Sandbox:
    """The running local sandbox, described by the inventory's facts."""

    facts: dict[str, Any]
    bring_up_run: PlaybookRun | None = None  # the fixture's own bring-up, if it needed one
    inventory: Path = INVENTORY  # another sandbox inventory (inventories/local-alt) beside the default one
    _token_seq: list[int] = field(default_factory=lambda: [0])

    # --- facts -----------------------------------------------------------------------------
    @property
    def root(self) -> Path:
        return Path(self.facts["sandbox_root"])

    @property
    def lb_url(self) -> str:
        return self.facts["lb_url"]

    @property
    def api_urls(self) -> dict[str, str]:
        return dict(self.facts["api_hosts"])

    @property
    def api_keys(self) -> dict[str, str]:
        """tenant -> API key (the inventory's app_api_keys)."""
        return dict(self.facts["app_api_keys"])

    def key_for(self, tenant: str) -> str:
        return self.api_keys[tenant]

    @property
    def db_admin_dsn(self) -> str:
        db = self.facts["db"]
        return (f"host={db['host']} port={db['port']} dbname={db['dbname']} "
                f"user={db['user']} password={db['password']}")

    @property
    def supervisorctl_cmd(self) -> list[str]:
        return shlex.split(self.facts["supervisor_ctl"])

    @property
    def worker_program(self) -> str:
        return self.facts["worker_programs"][0]

    @property
    def programs(self) -> list[str]:
        """The application programs (supervisord also runs PostgreSQL and HAProxy)."""
        return [p["name"] for p in self.facts["programs"]]

    @property
    def inventory_args(self) -> list[str]:
        """How a drill in a test addresses this sandbox: -i inventories/local [-e @vars]."""
        return ["-i", str(self.inventory), *extra_vars_args()]

    def release_dir(self, version: str) -> Path:
        return Path(self.facts["release_root"]) / version

    # --- actions ---------------------------------------------------------------------------
    def run_playbook(self, state: str = "present") -> PlaybookRun:
        """playbooks/sandbox.yml with sandbox_state=`state` (returned, not asserted)."""
        return run_sandbox_playbook(state, self.inventory)

    def bring_up(self) -> PlaybookRun:
        """Run the sandbox playbook (present), assert it passed and wait until healthy."""
        return bring_up(self)

    def supervisorctl(self, *args: str, check: bool = False, timeout: float = 60) -> subprocess.CompletedProcess:
        proc = subprocess.run([*self.supervisorctl_cmd, *args], capture_output=True, text=True, timeout=timeout)
        if check:
            assert proc.returncode == 0, f"supervisorctl {' '.join(args)}: {proc.stdout}{proc.stderr}"
        return proc

    def program_states(self) -> dict[str, str]:
        proc = self.supervisorctl("status")
        states = {}
        for line in proc.stdout.splitlines():
            parts = line.split()
            if len(parts) >= 2:
                states[parts[0]] = parts[1]
        return states

    def ensure_running(self, program: str, timeout: float = 30) -> None:
        if self.program_states().get(program) != "RUNNING":
            self.supervisorctl("start", program)
        wait_until(lambda: self.program_states().get(program) == "RUNNING", timeout=timeout,
                   interval=0.2, what=f"{program} RUNNING")

    def http(self, method: str, url: str, body: Any = None, *, headers: dict[str, str] | None = None,
             timeout: float = 5) -> HttpResult:
        """tests.support.http.request, also parsing JSON bodies whose content-type header HAProxy
        has lower-cased (HTTP/1 header names are case-insensitive)."""
        result = request(method, url, body, headers=headers, timeout=timeout)
        content_type = next((v for k, v in result.headers.items() if k.lower() == "content-type"), "")
        if isinstance(result.body, str) and content_type.startswith("application/json"):
            try:
                result.body = json.loads(result.body)
            except ValueError:
                pass
        return result

    def get(self, path: str, *, base: str | None = None, timeout: float = 5) -> HttpResult:
        return self.http("GET", f"{base or self.lb_url}{path}", timeout=timeout)

    def healthy(self) -> bool:
        try:
            if self.get(self.facts["api_health_path"], timeout=3).status != 200:
                return False
        except OSError:
            return False
        states = self.program_states()
        return (all(p in states for p in self.programs)
                and all(state == "RUNNING" for state in states.values()))

    def token(self, prefix: str = "it") -> str:
        self._token_seq[0] += 1
        return f"{prefix}-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{self._token_seq[0]}"

    def _verify_request(self, kind: str, token: str) -> tuple[str, str, Any, list[int]]:
        spec = self.facts["verify"][kind]
        body = json.loads(json.dumps(spec["body"]).replace("@@TOKEN@@", token))
        return spec["method"], spec["path"], body, list(spec["status"])

    def write(self, token: str) -> HttpResult:
        """The inventory's verify write (its text carries `token`) through the load balancer."""
        method, path, body, _ = self._verify_request("write", token)
        return self.http(method, f"{self.lb_url}{path}", body, headers=self.facts["verify"]["headers"])

    def recall(self, token: str) -> HttpResult:
        method, path, body, _ = self._verify_request("recall", token)
        return self.http(method, f"{self.lb_url}{path}", body, headers=self.facts["verify"]["headers"])

    def recalled(self, token: str) -> bool:
        result = self.recall(token)
        return result.status == 200 and token in json.dumps(result.body)

    def metrics(self) -> dict[str, float]:
        from tests.support.http import parse_prometheus

        result = self.get(self.facts["verify"]["metrics_path"])
        assert result.status == 200, result
        return parse_prometheus(result.body if isinstance(result.body, str) else json.dumps(result.body))


def bring_up(sandbox: Sandbox) -> PlaybookRun:
    run = run_sandbox_playbook("present", sandbox.inventory)
    assert run.returncode == 0, f"playbooks/sandbox.yml failed:\n{run.tail(80)}"
    wait_until(sandbox.healthy, timeout=60, interval=0.5, what="the sandbox to be healthy")
    return run


@pytest.fixture(scope="session")
def sandbox() -> Sandbox:
    """The local sandbox, up and healthy (brought up by the playbook only when it is not)."""
    facts = load_inventory_facts()
    box = Sandbox(facts)
    if not box.healthy():
        box.bring_up_run = bring_up(box)
    return box


_SCHEMA_CHECKED: set[Path] = set()


@pytest.fixture(autouse=True)
def bundles_match_the_published_schemas(tmp_path_factory):
    """Every drill bundle a test leaves under pytest's temporary directories matches the published JSON
    Schemas (``hadrill schema NAME``), checked with jsonschema once, after the test that made it."""
    yield
    for bundle in bundles_under(tmp_path_factory.getbasetemp()):
        if bundle not in _SCHEMA_CHECKED:
            _SCHEMA_CHECKED.add(bundle)
            assert_matches_schemas(bundle)
