"""Holding the memory a virtual machine frees, for the length of a benchmark.

On a virtual machine whose kernel reports free pages to its host (virtio-balloon free page
reporting), memory that stays free for a moment is handed back to the host, and the next program
to use it waits while the host faults it in again. A restore writes its whole copy into the page
cache: measured on the 2-core machine the restore benchmark was written on, the same pgBackRest
restore (files only, 1 GB) took 1.25 x as long when it started 3 s after the previous copy was
removed than when it started at once (3.91 s against 3.12 s, 5 rounds), and 0.98 x (2.86 s
against 2.93 s) with reporting held. Which side of a benchmark starts longer after memory was
freed is not what the benchmark compares (the drill's restore starts some 12 s after the
previous copy went, a direct one 2 s after), so the benchmarks hold reporting while they run
and put the machine's setting back afterwards.

The knob is the ``page_reporting`` module's ``page_reporting_order``: only free blocks of at
least that order are reported, and the highest order the kernel accepts leaves the fewest.

The same machine also pages out memory that has not been touched for a minute (a DAMON scheme
with the ``pageout`` action, which drops cold page cache): a 4 GB round is long enough for part
of the backup repository to go between two restores, and the restore that comes after the
longer gap reads it from disk again. For the run, such schemes' minimum age is raised to the
largest the kernel takes (never reached), and put back after.

Where a knob does not exist (no free page reporting, no DAMON, or not root), nothing is held and
the benchmark says so.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

ORDER = Path("/sys/module/page_reporting/parameters/page_reporting_order")
HIGHEST_ORDERS = range(16, 0, -1)  # tried from the top; the kernel refuses orders above its largest block
KDAMONDS = Path("/sys/kernel/mm/damon/admin/kdamonds")
NEVER = 2**32 - 1  # the largest age a DAMON access pattern takes, in aggregation intervals


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _write(path: Path, value: int | str) -> bool:
    try:
        path.write_text(f"{value}\n")
    except OSError:
        return False
    return True


@contextlib.contextmanager
def freed_memory_held(knob: Path = ORDER) -> Iterator[str]:
    """Raise the free page reporting order as far as the kernel takes it; yields what was done."""
    value = _read(knob)
    if value is None or not value.isdigit():
        yield "no free page reporting setting on this machine (nothing held)"
        return
    original = int(value)
    held = next((order for order in HIGHEST_ORDERS if order > original and _write(knob, order)), None)
    if held is None:
        yield f"free page reporting order {original} could not be raised (nothing held)"
        return
    try:
        yield f"free page reporting to the host held for the run (page_reporting_order {original} -> {held})"
    finally:
        _write(knob, original)


@contextlib.contextmanager
def cold_pages_kept(kdamonds: Path = KDAMONDS) -> Iterator[str]:
    """Raise the minimum age of every DAMON pageout scheme to NEVER; yields what was done."""
    raised: dict[Path, str] = {}
    for scheme in sorted(kdamonds.glob("*/contexts/*/schemes/*")):
        age = scheme / "access_pattern" / "age" / "min"
        original = _read(age)
        if _read(scheme / "action") == "pageout" and original is not None and _write(age, NEVER):
            raised[age] = original
    # kdamonds/N/contexts/M/schemes/K/access_pattern/age/min: a running kdamond takes new values on commit
    running = sorted({age.parents[6] for age in raised if _read(age.parents[6] / "state") == "on"})
    for kdamond in running:
        _write(kdamond / "state", "commit")
    if not raised:
        yield "no DAMON pageout scheme on this machine (nothing held)"
        return
    try:
        yield f"DAMON pageout of cold memory held for the run ({len(raised)} scheme(s): minimum age -> {NEVER})"
    finally:
        for age, original in raised.items():
            _write(age, original)
        for kdamond in running:
            _write(kdamond / "state", "commit")


@contextlib.contextmanager
def steady_memory() -> Iterator[list[str]]:
    """Both holds for the run; yields what each did."""
    with freed_memory_held() as reporting, cold_pages_kept() as pageout:
        yield [reporting, pageout]
