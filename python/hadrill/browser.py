"""Headless Chromium for the report: print report.html to PDF, or take a screenshot of it.

Debian's ``chromium`` package (``HADRILL_CHROMIUM`` names another binary). Chromium runs with a
fresh profile directory and without its background services (updates, sync, QUIC), so it
reaches nothing but the file it prints; as root it needs ``--no-sandbox``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
TIMEOUT_SECONDS = 120.0
QUIET_FLAGS = (
    "--headless", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-extensions", "--hide-scrollbars",
)


class BrowserError(RuntimeError):
    """Chromium is missing or did not produce the file; one line saying which."""


def find_chromium() -> str:
    explicit = os.environ.get("HADRILL_CHROMIUM")
    if explicit:
        if shutil.which(explicit):
            return str(shutil.which(explicit))
        raise BrowserError(f"HADRILL_CHROMIUM={explicit} is not an executable")
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserError("Chromium is not installed (Debian/Ubuntu: apt-get install chromium; or set HADRILL_CHROMIUM)")


def flags(profile: Path) -> list[str]:
    """The command-line flags of a quiet headless Chromium with its own profile directory."""
    found = [*QUIET_FLAGS, f"--user-data-dir={profile}"]
    if os.geteuid() == 0:
        found.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return found


def _run(arguments: Sequence[str], output: Path) -> None:
    binary = find_chromium()
    with tempfile.TemporaryDirectory(prefix="hadrill-chromium-") as profile:
        try:
            done = subprocess.run([binary, *flags(Path(profile)), *arguments], capture_output=True, text=True,
                                  timeout=TIMEOUT_SECONDS, stdin=subprocess.DEVNULL, check=False)
        except subprocess.TimeoutExpired:
            raise BrowserError(f"Chromium did not finish within {TIMEOUT_SECONDS:g}s") from None
    if not output.is_file() or output.stat().st_size == 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise BrowserError(f"Chromium (exit code {done.returncode}) wrote no {output.name}: {last[:300]}")


def print_pdf(html: Path, pdf: Path) -> Path:
    """``chromium --headless --print-to-pdf`` of ``html`` (no header or footer lines)."""
    pdf = pdf.absolute()
    pdf.unlink(missing_ok=True)
    _run(["--no-pdf-header-footer", f"--print-to-pdf={pdf}", html.absolute().as_uri()], pdf)
    return pdf


def screenshot(html: Path, png: Path, width: int = 1100, height: int = 1500) -> Path:
    """A PNG of the top ``width`` x ``height`` pixels of ``html``."""
    png = png.absolute()
    png.unlink(missing_ok=True)
    _run([f"--window-size={width},{height}", f"--screenshot={png}", html.absolute().as_uri()], png)
    return png
