"""Run every validator on the built editions and format one report."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import ace, axe, calibre, crawl, epubcheck, epubjs, links, pdf, press, vnu
from .model import Editions, Result, Tools

#: Every validator, in report order: short name (for --only) -> module with ``run(editions, tools)``.
VALIDATORS = {m.__name__.rsplit(".", 1)[-1]: m for m in (epubcheck, ace, epubjs, calibre, vnu, axe, links,
                                                      crawl, pdf, press)}
#: The editions each validator checks. Without ``--only``, a validator whose editions were
#: not built is skipped (a book may build the site alone); named with ``--only``, it fails.
CHECKS = {"epubcheck": ("epub",), "ace": ("epub",), "epubjs": ("epub",), "calibre": ("epub",),
          "vnu": ("html",), "axe": ("html",), "links": ("html", "epub"), "crawl": ("html",),
          "pdf": ("pdf",), "press": ("print",)}


def run_checks(project_dir: Path | str, tools: Tools, only=None, jobs: int = 2) -> list[Result]:
    """Run the validators (all, or those named in ``only``) on a project's build/.

    Two at a time: most of them wait on Java or Chromium, and the machine has
    few cores. A validator that crashes is a failed result, not a lost report.
    """
    editions = Editions.of(project_dir)
    unknown = set(only or ()) - set(VALIDATORS)
    if unknown:
        raise ValueError(f"unknown validators: {sorted(unknown)} (known: {', '.join(VALIDATORS)})")
    chosen = [m for name, m in VALIDATORS.items() if not only or name in only]
    built = editions.built()
    if not only and not built:
        return [Result("check", failure="no edition is built (run invoke build)")]
    skipped = {} if only else {m: CHECKS[name] for name, m in VALIDATORS.items()
                               if not set(CHECKS[name]) & built}
    with ThreadPoolExecutor(jobs) as pool:
        futures = {m: pool.submit(_run, m, editions, tools) for m in chosen if m not in skipped}
        return [Result(m.NAME, skipped=f"{' and '.join(skipped[m])} not built") if m in skipped
                else futures[m].result() for m in chosen]


def _run(module, editions: Editions, tools: Tools) -> Result:
    try:
        return module.run(editions, tools)
    except Exception as exc:  # noqa: BLE001 - reported as this validator's failure
        return Result(module.NAME, failure=f"crashed: {type(exc).__name__}: {exc}")


def format_report(results: list[Result]) -> str:
    """One line per validator (name, version, verdict), then its findings, then the total."""
    lines = []
    for r in results:
        version = f" {r.version}" if r.version else ""
        if r.skipped:
            verdict = f"skipped ({r.skipped})"
        elif r.failure:
            verdict = f"DID NOT RUN: {r.failure}"
        else:
            warnings = len(r.findings) - len(r.errors)
            verdict = (("passed" if r.ok else "FAILED") + f" ({len(r.errors)} errors, {warnings}"
                       f" warnings; {r.checked} checked)")
        lines.append(f"{r.validator}{version}: {verdict}")
        lines += [f"  {finding}" for finding in r.findings]
    failed = [r.validator for r in results if not r.ok]
    ran = [r for r in results if not r.skipped]
    skipped = f"; {len(results) - len(ran)} skipped" if len(ran) < len(results) else ""
    lines.append(f"check: FAILED ({', '.join(failed)})" if failed else
                 f"check: passed ({len(ran)} validator{'s' if len(ran) != 1 else ''}{skipped})")
    return "\n".join(lines)
