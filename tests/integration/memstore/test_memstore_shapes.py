"""The answer shapes memstore offers for rehearsing hadrill's request specs, with the real API and
worker processes: a form write answered with plain text ``OK`` (no id), recall answers that echo
the query (release manifest ``echo_query: true``), and forgetting a scope (a drill's cleanup)."""

from __future__ import annotations

import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from hadrill.httpspec import HttpRequestSpec, send
from tests.support import http
from tests.support.http import bearer
from tests.support.memstore import install_release
from tests.support.wait import wait_until

ACME = bearer("key-acme")
RECALL = {"name": "recall", "method": "POST", "path": "/v1/memory/recall_text",
          "json": {"tenant": "acme", "scope": "notes", "query": "note ${token}", "limit": 5}}


@pytest.fixture(scope="module")
def echo_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_release(tmp_path_factory.mktemp("echo"), "v0.2.2-echo",
                           {"version": "v0.2.2-echo", "schema_min": 3, "schema_max": 3, "echo_query": True})


def note(base: str, text: str, scope: str = "notes") -> http.HttpResult:
    body = urllib.parse.urlencode({"tenant": "acme", "scope": scope, "text": text}).encode()
    request = urllib.request.Request(f"{base}/v1/memory/note", data=body, method="POST",
                                     headers={**ACME, "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        return http.HttpResult(answer.status, answer.read().decode(), dict(answer.headers))


def test_a_form_write_answers_plain_text_and_is_recalled_once_indexed(db3: str, releases: Callable[..., Path], procs) -> None:
    release = releases("v0.2.2", 3, 3)
    _, base = procs.api(release, db3)
    answer = note(base, "note tok1")
    assert answer.status == 200 and answer.body == "OK" and answer.headers["Content-Type"].startswith("text/plain")
    # JSON to the form endpoint is refused, as a form-only application would.
    refused = http.request("POST", f"{base}/v1/memory/note", {"tenant": "acme", "scope": "notes", "text": "x"}, headers=ACME)
    assert refused.status == 415
    # The id comes from the request's own token; the read-back finds the item that holds it.
    write = HttpRequestSpec.model_validate({
        "name": "note", "method": "POST", "path": "/v1/memory/note",
        "form": {"tenant": "acme", "scope": "notes", "text": "note ${token}"}, "capture": {"id": {"value": "${token}"}},
    })
    written = send(base, write, context={"token": "tok2"}, default_headers=ACME)
    assert written.ok and written.captured == {"id": "tok2"} and written.body == "OK"
    proof = HttpRequestSpec.model_validate({**RECALL, "expect_json": [
        {"path": "results[].text", "matches": "\\b${token}$"}]})
    assert not send(base, proof, context={"token": "tok2"}, default_headers=ACME).ok     # no worker yet
    procs.worker(release, db3)
    wait_until(lambda: send(base, proof, context={"token": "tok2"}, default_headers=ACME).ok, timeout=30,
               interval=0.1, what="the worker to index the form write")


def test_an_echoing_recall_passes_a_token_check_without_recalling_anything(db3: str, echo_release: Path, procs) -> None:
    _, base = procs.api(echo_release, db3)   # no worker: nothing is ever indexed
    note(base, "note tok3")
    answer = http.request("POST", f"{base}/v1/memory/recall_text",
                          {"tenant": "acme", "scope": "notes", "query": "note tok3"}, headers=ACME)
    assert answer.body == {"query": "note tok3", "results": []}
    old = HttpRequestSpec.model_validate({**RECALL, "expect_body_contains": "${token}"})
    new = HttpRequestSpec.model_validate({**RECALL, "expect_json": [{"path": "results[].text", "matches": "${token}"}]})
    assert send(base, old, context={"token": "tok3"}, default_headers=ACME).ok
    assert not send(base, new, context={"token": "tok3"}, default_headers=ACME).ok


def test_forget_removes_a_scope_with_its_events_and_index_rows(db3: str, releases: Callable[..., Path], procs) -> None:
    release = releases("v0.2.2", 3, 3)
    _, base = procs.api(release, db3)
    procs.worker(release, db3)
    for index in range(3):
        assert note(base, f"gone {index}", scope="drill-1").status == 200
    assert note(base, "kept", scope="other").status == 200
    with psycopg.connect(db3, autocommit=True) as conn:
        wait_until(lambda: conn.execute("select count(*) from memory_index").fetchone()[0] == 4, timeout=30,
                   interval=0.1, what="the worker to index the notes")
        answer = http.request("POST", f"{base}/v1/memory/forget", {"tenant": "acme", "scope": "drill-1"}, headers=ACME)
        assert answer.status == 200 and answer.body == {"tenant": "acme", "scope": "drill-1", "deleted": 3}
        assert conn.execute("select scope, count(*) from memories group by scope").fetchall() == [("other", 1)]
        assert conn.execute("select count(*) from outbox").fetchone()[0] == 1
        assert conn.execute("select count(*) from memory_index").fetchone()[0] == 1
    again = http.request("POST", f"{base}/v1/memory/forget", {"tenant": "acme", "scope": "drill-1"}, headers=ACME)
    assert again.body["deleted"] == 0
    other = http.request("POST", f"{base}/v1/memory/forget", {"tenant": "globex", "scope": "other"}, headers=ACME)
    assert other.status == 403
