from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest

from hadrill import clock
from hadrill.drill_id import DrillIdError, allocate, claim
from hadrill.events import MarkerIndex, append_line, load_markers, make_marker, read_lines


def test_torn_last_line_is_skipped(tmp_path):
    path = tmp_path / "events.jsonl"
    append_line(path, {"event": "marker", "name": "a", "ts": "t", "mono": 1.0})
    with path.open("a") as handle:
        handle.write('{"event": "mar')
    assert [item["name"] for item in read_lines(path)] == ["a"]


def test_concurrent_appenders_never_interleave(tmp_path):
    path = tmp_path / "events.jsonl"

    def writer(tag: str) -> None:
        for index in range(200):
            append_line(path, {"tag": tag, "i": index, "pad": "x" * 300})

    threads = [threading.Thread(target=writer, args=(tag,)) for tag in "abcd"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = list(read_lines(path))
    assert len(lines) == 800


def test_marker_index_measures_with_the_monotonic_clock(tmp_path):
    start = clock.Instant(wall=datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc), mono=100.0)
    later = clock.Instant(wall=datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc), mono=112.5)  # wall clock stepped back
    append_line(tmp_path / "events.jsonl", make_marker("incident", scenario="restore", at=start))
    append_line(tmp_path / "events.jsonl", make_marker("smoke_passed", scenario="restore", at=later))
    index = MarkerIndex(load_markers(tmp_path))
    assert index.between("incident", "smoke_passed", "restore") == pytest.approx(12.5)
    assert index.between("incident", "never") is None


def test_drill_ids_count_up_per_day_and_environment(tmp_path):
    day = datetime(2026, 11, 28, tzinfo=timezone.utc)
    first, _ = allocate(tmp_path, "staging", day)
    second, _ = allocate(tmp_path, "staging", day)
    other, _ = allocate(tmp_path, "prod-eu", day)
    assert (first, second, other) == ("ha_drill_20261128_staging_01", "ha_drill_20261128_staging_02",
                                       "ha_drill_20261128_prod-eu_01")


def test_claiming_an_existing_bundle_is_refused(tmp_path):
    path = claim(tmp_path, "ha_drill_20261128_staging_07")
    (path / "drill.json").write_text("{}")
    with pytest.raises(DrillIdError):
        claim(tmp_path, "ha_drill_20261128_staging_07")
    with pytest.raises(DrillIdError):
        claim(tmp_path, "drill-7")


def test_duration_format_matches_the_reference_record():
    assert clock.format_duration(18 * 60 + 40) == "18m40s"
    assert clock.format_duration(7 * 60) == "7m"
    assert clock.format_duration(2.44) == "2.4s"


@pytest.mark.parametrize("epoch", [
    1796228726.0, 1796228726.5, 1796228726.0000005, 1796228726.0000015, 1796228726.9999994, 1796228726.9999996,
    1796228726.999999, 0.0, 951782399.9999999, 1796228726.123456789, -0.5, -1.0000004, -86400.9999996,
])
def test_an_epoch_is_formatted_as_format_utc_formats_its_datetime(epoch):
    assert clock.format_epoch(epoch) == clock.format_utc(datetime.fromtimestamp(epoch, timezone.utc))


def test_many_epochs_are_formatted_as_format_utc_formats_their_datetimes():
    moments = [1.7e9 + step * 0.3337 + (step % 7) * 1e-7 for step in range(20000)]
    assert [clock.format_epoch(moment) for moment in moments] == [
        clock.format_utc(datetime.fromtimestamp(moment, timezone.utc)) for moment in moments]


@pytest.mark.parametrize("record", [
    {"event": "task", "task": "Restore the copy é ✓", "start_mono": 12345.678901, "changed": False, "role": None},
    {"nested": {"list": [1, 2.5, None, True, "a\nb\"c"], "tuple": (1, 2)}, "nan": float("nan"), "inf": float("inf")},
    {"path": Path("/tmp/x"), 5: "an int key", None: "a null key", 1.5: "a float key", "big": 10**30, "zero": -0.0},
])
def test_a_line_is_what_json_dumps_writes(tmp_path, record):
    path = tmp_path / "events.jsonl"
    append_line(path, record)
    assert path.read_text() == json.dumps(record, separators=(",", ":"), default=str) + "\n"
