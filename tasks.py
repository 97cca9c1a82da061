"""Invoke tasks: thin wrappers over ``python -m folio`` (``invoke --list``).

Each task runs :func:`folio.cli.main`, so that ``invoke build`` and ``python -m folio build``
are one command with one contract: the same output and the same exit codes (0; 1 for a
problem with the report; 70 for a bug; 130 for Ctrl-C; 143 for SIGTERM).
"""

from pathlib import Path

from invoke import Collection, Exit, task

# folio.cli imports only the build at module level: each other command imports what it needs
# when it runs, so that `invoke build` with nothing to do does not load WeasyPrint (~1 s).
from folio.cli import main

PROJECT_HELP = {"project": "the report's folder (default: this repository)",
                "quiet": "print only errors"}


def _folio(c, command: str, project: str | None, *args: str) -> None:
    """Run ``folio COMMAND --project PROJECT ARGS``; a non-zero exit code ends invoke with it."""
    code = main([command, "--project", project or c.folio.project, *args])
    if code:
        raise Exit(code=code)


def _quiet(quiet: bool) -> tuple[str, ...]:
    return ("--quiet",) if quiet else ()


@task(help=PROJECT_HELP)
def build(c, project=None, quiet=False):
    """Publish every edition (PDF for screen and for print, EPUB, HTML) into build/."""
    _folio(c, "build", project, *_quiet(quiet))


@task(help=PROJECT_HELP)
def html(c, project=None, quiet=False):
    """Publish the multi-page HTML edition into build/html/."""
    _folio(c, "build", project, "html", *_quiet(quiet))


@task(help=PROJECT_HELP)
def epub(c, project=None, quiet=False):
    """Publish the EPUB 3 edition into build/."""
    _folio(c, "build", project, "epub", *_quiet(quiet))


@task(help={**PROJECT_HELP, "edition": "screen (the default) or print (3 mm bleed, crop marks)"})
def pdf(c, project=None, quiet=False, edition="screen"):
    """Publish the PDF edition into build/ (--edition print: build/<slug>-print.pdf)."""
    if edition not in ("screen", "print"):
        raise Exit(f"unknown PDF edition '{edition}' (choose screen or print)", code=1)
    _folio(c, "build", project, "pdf" if edition == "screen" else "print", *_quiet(quiet))


@task(help={"project": PROJECT_HELP["project"], "edition": "screen (the default) or print",
            "pages": "comma-separated: cover, contents, chapter, team, an id, or a page number"})
def proof(c, project=None, pages=None, edition="screen"):
    """Render chosen PDF pages (default: cover, contents, first chapter, team) to build/proof/."""
    _folio(c, "proof", project, "--edition", edition, *(("--pages", pages) if pages else ()))


@task(help={"project": PROJECT_HELP["project"]})
def clean(c, project=None):
    """Remove build/ (and nothing else)."""
    _folio(c, "clean", project)


@task(help={"project": PROJECT_HELP["project"]})
def verify(c, project=None):
    """Rebuild in a temporary folder and check build/ matches build/manifest.json byte for byte."""
    _folio(c, "verify", project)


@task(help={"project": PROJECT_HELP["project"]})
def release(c, project=None):
    """Copy the editions to dist/ with versioned names, SHA256SUMS, the manifest and an OPDS feed."""
    _folio(c, "release", project)


@task(iterable=["only"], help={"project": PROJECT_HELP["project"],
                               "only": "run only this validator (repeatable): epubcheck, ace, epubjs, "
                                       "calibre, vnu, axe, links, crawl or pdf"})
def check(c, project=None, only=None):
    """Run every validator on the built editions (EPUBCheck, Ace, vnu, axe, links, PDF); fail on any error."""
    _folio(c, "check", project, "--node-modules", c.folio.node_modules,
           *(arg for name in only or () for arg in ("--only", name)))


@task(help={"project": PROJECT_HELP["project"], "port": "port on 127.0.0.1 (default 8000)",
            "all": "rebuild the PDF and EPUB on every change too, not only on request"})
def serve(c, project=None, port=8000, all=False):  # noqa: A002 - the option is --all
    """Preview the HTML edition at http://127.0.0.1:PORT/, rebuilt and reloaded on each save."""
    _folio(c, "serve", project, "--port", str(port), *(("--all",) if all else ()))


@task(help={"rev": "the earlier revision (a commit, tag or branch, e.g. HEAD~2)",
            "to": "the later revision (default: the working tree)",
            "project": PROJECT_HELP["project"]})
def diff(c, rev, to=None, project=None):
    """Write build/diff/index.html: words changed between two drafts and the PDF pages they moved to."""
    _folio(c, "diff", project, rev, *((to,) if to else ()))


@task(help={"project": PROJECT_HELP["project"]})
def stats(c, project=None):
    """Print words, reading time and PDF pages per section (builds the PDF if it is not up to date)."""
    _folio(c, "stats", project)


@task(help={"path": "the new project's folder (must not exist, or be empty)",
            "title": "the publication's title (default: from the folder's name)",
            "publisher": "the publisher's name"})
def new(c, path, title=None, publisher=None):
    """Make a minimal project at PATH that builds at once (with a README explaining its layout)."""
    options = [*(("--title", title) if title else ()), *(("--publisher", publisher) if publisher else ())]
    code = main(["new", path, *options])
    if code:
        raise Exit(code=code)


ns = Collection(build, html, epub, pdf, proof, clean, verify, release, check, serve, diff, stats,
                new)
ns.configure({"folio": {"project": str(Path(__file__).parent),
                        "node_modules": str(Path(__file__).parent / "tools" / "node_modules")}})
