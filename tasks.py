"""Invoke tasks: thin wrappers over the ``folio`` package (``invoke --list``)."""

import shutil
import sys
from pathlib import Path

from invoke import Collection, Exit, task

sys.path.insert(0, str(Path(__file__).parent / "src"))

# Only the build at module level: each other task imports what it needs when it runs, so that
# `invoke build` with nothing to do does not first load WeasyPrint, pdfium and Playwright (~1 s).
from folio import BuildError, build as build_report  # noqa: E402

PROJECT_HELP = {"project": "the report's folder (default: this repository)",
                "quiet": "print only errors"}


def _call(function, *args, **kwargs):
    """Call into folio: bad input exits 1 with its located message, and no traceback."""
    try:
        return function(*args, **kwargs)
    except BuildError as exc:
        raise Exit(str(exc), code=1) from None


def _build(c, editions, project, quiet):
    log = (lambda m: None) if quiet else print
    outputs = _call(build_report, project or c.folio.project, editions, log=log)
    log(f"built {', '.join(outputs.rebuilt) or 'nothing (up to date)'} in {outputs.seconds:.1f} s")


@task(help=PROJECT_HELP)
def build(c, project=None, quiet=False):
    """Publish every edition (PDF for screen and for print, EPUB, HTML) into build/."""
    _build(c, ("html", "epub", "pdf", "print"), project, quiet)


@task(help=PROJECT_HELP)
def html(c, project=None, quiet=False):
    """Publish the multi-page HTML edition into build/html/."""
    _build(c, ("html",), project, quiet)


@task(help=PROJECT_HELP)
def epub(c, project=None, quiet=False):
    """Publish the EPUB 3 edition into build/."""
    _build(c, ("epub",), project, quiet)


@task(help={**PROJECT_HELP, "edition": "screen (the default) or print (3 mm bleed, crop marks)"})
def pdf(c, project=None, quiet=False, edition="screen"):
    """Publish the PDF edition into build/ (--edition print: build/<slug>-print.pdf)."""
    if edition not in ("screen", "print"):
        raise Exit(f"unknown PDF edition '{edition}' (choose screen or print)", code=1)
    _build(c, ("pdf" if edition == "screen" else "print",), project, quiet)


@task(help={"project": PROJECT_HELP["project"], "edition": "screen (the default) or print",
            "pages": "comma-separated: cover, contents, chapter, team, an id, or a page number"})
def proof(c, project=None, pages=None, edition="screen"):
    """Render chosen PDF pages (default: cover, contents, first chapter, team) to build/proof/."""
    from folio.commands.proof import proof as proof_pages

    written = _call(proof_pages, project or c.folio.project, pages.split(",") if pages else None,
                    edition="pdf" if edition == "screen" else "print")
    for path in written:
        print(f"wrote {path}")


@task(help={"project": PROJECT_HELP["project"]})
def clean(c, project=None):
    """Remove build/ (and nothing else)."""
    shutil.rmtree(Path(project or c.folio.project) / "build", ignore_errors=True)


@task(help={"project": PROJECT_HELP["project"]})
def verify(c, project=None):
    """Rebuild in a temporary folder and check build/ matches build/manifest.json byte for byte."""
    from folio.commands.verify import verify as verify_build

    problems = _call(verify_build, project or c.folio.project)
    if problems:
        raise Exit("verify: FAILED\n" + "\n".join(problems), code=1)
    print("verify: every output matches the manifest and a fresh rebuild")


@task(help={"project": PROJECT_HELP["project"]})
def release(c, project=None):
    """Copy the editions to dist/ with versioned names, SHA256SUMS, the manifest and an OPDS feed."""
    from folio.commands.release import release as release_editions

    written = _call(release_editions, project or c.folio.project)
    for path in written:
        print(f"wrote {path}")


@task(iterable=["only"], help={"project": PROJECT_HELP["project"],
                               "only": "run only this validator (repeatable): epubcheck, ace, epubjs, calibre, vnu, axe, links, crawl or pdf"})
def check(c, project=None, only=None):
    """Run every validator on the built editions (EPUBCheck, Ace, vnu, axe, links, PDF); fail on any error."""
    from folio.check import Tools, format_report, run_checks

    try:
        results = run_checks(project or c.folio.project, Tools(Path(c.folio.node_modules)), only)
    except (BuildError, ValueError) as exc:
        raise Exit(str(exc), code=1) from None
    print(format_report(results))
    if not all(result.ok for result in results):
        raise Exit(code=1)


@task(help={"project": PROJECT_HELP["project"], "port": "port on 127.0.0.1 (default 8000)",
            "all": "rebuild the PDF and EPUB on every change too, not only on request"})
def serve(c, project=None, port=8000, all=False):  # noqa: A002 - the option is --all
    """Preview the HTML edition at http://127.0.0.1:PORT/, rebuilt and reloaded on each save."""
    from folio.commands.serve import serve as serve_preview

    serve_preview(project or c.folio.project, int(port), all_editions=all)


@task(help={"rev": "the earlier revision (a commit, tag or branch, e.g. HEAD~2)",
            "to": "the later revision (default: the working tree)",
            "project": PROJECT_HELP["project"]})
def diff(c, rev, to=None, project=None):
    """Write build/diff/index.html: words changed between two drafts and the PDF pages they moved to."""
    from folio.commands.diff import diff as diff_report

    _call(diff_report, project or c.folio.project, rev, to)


@task(help={"project": PROJECT_HELP["project"]})
def stats(c, project=None):
    """Print words, reading time and PDF pages per section (builds the PDF if it is not up to date)."""
    from folio.commands.stats import stats as report_stats, table

    print(table(_call(report_stats, project or c.folio.project)))


ns = Collection(build, html, epub, pdf, proof, clean, verify, release, check, serve, diff, stats)
ns.configure({"folio": {"project": str(Path(__file__).parent),
                        "node_modules": str(Path(__file__).parent / "tools" / "node_modules")}})
