"""The benchmarks' hold on free page reporting (tests.support.guest_memory), on a file standing in for the knob."""

from __future__ import annotations

from tests.support.guest_memory import NEVER, cold_pages_kept, freed_memory_held


def test_the_order_is_raised_for_the_run_and_put_back(tmp_path):
    knob = tmp_path / "page_reporting_order"
    knob.write_text("9\n")
    with freed_memory_held(knob) as done:
        held = int(knob.read_text())
        assert held > 9
        assert f"9 -> {held}" in done
    assert knob.read_text().strip() == "9"


def test_an_order_already_at_the_top_is_left_as_it_is(tmp_path):
    knob = tmp_path / "page_reporting_order"
    knob.write_text("16\n")
    with freed_memory_held(knob) as done:
        assert "nothing held" in done
        assert knob.read_text().strip() == "16"
    assert knob.read_text().strip() == "16"


def test_a_machine_without_the_knob_is_told_so(tmp_path):
    with freed_memory_held(tmp_path / "absent") as done:
        assert done.startswith("no free page reporting setting")
    assert not (tmp_path / "absent").exists()


def damon_tree(root, schemes):
    """kdamonds/0 (running) with one scheme per (action, age min)."""
    kdamond = root / "0"
    kdamond.mkdir(parents=True)
    (kdamond / "state").write_text("on\n")
    for index, (action, age) in enumerate(schemes):
        scheme = kdamond / "contexts" / "0" / "schemes" / str(index)
        (scheme / "access_pattern" / "age").mkdir(parents=True)
        (scheme / "action").write_text(f"{action}\n")
        (scheme / "access_pattern" / "age" / "min").write_text(f"{age}\n")
    return kdamond


def test_pageout_schemes_wait_forever_for_the_run_and_get_their_age_back(tmp_path):
    kdamond = damon_tree(tmp_path, [("pageout", 12), ("stat", 5)])
    ages = kdamond / "contexts" / "0" / "schemes"
    with cold_pages_kept(tmp_path) as done:
        assert "1 scheme(s)" in done
        assert (ages / "0" / "access_pattern" / "age" / "min").read_text().strip() == str(NEVER)
        assert (ages / "1" / "access_pattern" / "age" / "min").read_text().strip() == "5"  # not a pageout
        assert (kdamond / "state").read_text().strip() == "commit"  # the running kdamond took the new age
    assert (ages / "0" / "access_pattern" / "age" / "min").read_text().strip() == "12"
    assert (kdamond / "state").read_text().strip() == "commit"


def test_a_machine_without_damon_pageout_is_told_so(tmp_path):
    damon_tree(tmp_path, [("stat", 5)])
    with cold_pages_kept(tmp_path) as done:
        assert done.startswith("no DAMON pageout scheme")
    with cold_pages_kept(tmp_path / "absent") as done:
        assert done.startswith("no DAMON pageout scheme")
