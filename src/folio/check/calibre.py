"""calibre's ``ebook-convert`` (Debian's ``calibre``): the EPUB to AZW3 with no warning.

calibre stands in for Amazon's converter: a conversion that warns (CSS it
cannot parse, a missing resource, a broken link) is a finding, one failure.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from .model import Editions, Finding, Result, Tools

NAME = "calibre"
#: Lines of calibre's log that report a problem rather than progress.
PROBLEM = re.compile(r"warn|error|unexpected token|failed|could not|not found|invalid",
                     re.IGNORECASE)
#: Lines that echo the book's own words (a chapter titled "Early warning" is no warning).
ECHO = re.compile(r"^\s*Detected chapter:")


def run(editions: Editions, tools: Tools) -> Result:
    """Convert the EPUB edition to AZW3 in a scratch folder and read calibre's log."""
    if failure := editions.missing(editions.epub):
        return Result(NAME, failure=failure)
    convert = shutil.which("ebook-convert")
    if convert is None:
        return Result(NAME, failure="ebook-convert not found (install Debian's calibre: scripts/setup)")
    version = subprocess.run([convert, "--version"], capture_output=True, text=True,
                             timeout=120, check=False).stdout.split("\n", 1)[0].strip()
    epub = editions.rel(editions.epub)
    with tempfile.TemporaryDirectory(prefix="folio-calibre-") as scratch:
        target = Path(scratch, "book.azw3")
        proc = subprocess.run([convert, str(editions.epub), str(target)], capture_output=True,
                              text=True, timeout=600,
                              env={"PATH": "/usr/bin:/bin", "HOME": scratch, "LC_ALL": "C.UTF-8",
                                   "QT_QPA_PLATFORM": "offscreen"}, check=False)
        made = target.is_file() and target.stat().st_size > 0
    log = (proc.stdout + proc.stderr).splitlines()
    findings = [Finding(epub, "", "ebook-convert", line) for line in problems(log)]
    if proc.returncode != 0 or not made:
        return Result(NAME, version, tuple(findings),
                      failure=f"conversion failed (exit {proc.returncode}): {' '.join(log[-3:])}")
    return Result(NAME, version, tuple(findings), checked=1)


def problems(log: list[str]) -> list[str]:
    """The lines of calibre's log that report a problem: not progress, not the book's words."""
    return [line.strip() for line in log if PROBLEM.search(line) and not ECHO.match(line)]
