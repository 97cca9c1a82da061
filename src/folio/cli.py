"""Command line: ``python -m folio [COMMAND] [--project PATH] [--quiet] [--debug] ...``.

The one entry point: ``python -m folio``, the ``folio`` script and every ``invoke`` task
(tasks.py calls :func:`main`) share its exit codes. A BuildError prints its located
problems and exits 1 without a traceback (``--debug`` shows it too). Ctrl-C or SIGTERM
stops the command with exit 130 or 143 and no traceback, leaving the last good editions
in place. Any other exception is a bug: it prints its traceback and says so, and exits 70.

Without a command, ``python -m folio [EDITION ...]`` builds (as ``folio build``).
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from folio import EDITIONS
from folio.errors import BuildError, Terminated

#: Exit codes: bad input, a bug (EX_SOFTWARE), and the shell's codes for SIGINT and SIGTERM.
OK, BAD_INPUT, BUG, INTERRUPTED, TERMINATED = 0, 1, 70, 130, 143
BUG_NOTE = ("This is a bug in folio, not a problem with your report;"
            " please report it with the traceback above.")
INTERRUPTED_NOTE = "folio: interrupted; the editions of the last good build are unchanged"
#: Where ``invoke check`` finds the validators npm installed (scripts/setup), by default.
NODE_MODULES = Path(__file__).resolve().parents[2] / "tools" / "node_modules"


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit code (never raises, but for argparse's usage exit 2)."""
    args = _parser().parse_args(_with_command(list(sys.argv[1:] if argv is None else argv)))
    log: Callable[[str], None] = (lambda message: None) if args.quiet else _printer()
    try:
        with _sigterm_raises():
            return int(args.run(args, log) or OK)
    except BuildError as exc:
        if args.debug:
            traceback.print_exc()
        print(exc, file=sys.stderr)
        return BAD_INPUT
    except (KeyboardInterrupt, Terminated) as exc:
        print(INTERRUPTED_NOTE, file=sys.stderr)
        return INTERRUPTED if isinstance(exc, KeyboardInterrupt) else TERMINATED
    except Exception:  # noqa: BLE001 - anything else is a bug: say so, with the traceback
        traceback.print_exc()
        print(BUG_NOTE, file=sys.stderr)
        return BUG


def _printer() -> Callable[[str], None]:
    """Print whole lines: the build logs from several threads, and print() writes a line's
    text and its newline separately, so two lines could run together."""
    lock = threading.Lock()

    def log(message: str) -> None:
        with lock:
            sys.stdout.write(f"{message}\n")
            sys.stdout.flush()

    return log


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` (like Ctrl-C into KeyboardInterrupt), so the
    atomic writers remove their temporary files on the way out. Only the main thread may
    set handlers; elsewhere SIGTERM keeps its default."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: object) -> None:
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# --- The commands: each takes the parsed arguments and the progress log, returns an exit code.

def _build(args: argparse.Namespace, log: Callable[[str], None]) -> int:
    from folio.pipeline.build import build

    for edition in args.editions:
        if edition not in EDITIONS:
            args.parser.error(f"unknown edition '{edition}' (choose from {', '.join(EDITIONS)})")
    outputs = build(args.project, tuple(dict.fromkeys(args.editions)) or EDITIONS, log=log)
    log(f"built {', '.join(outputs.rebuilt) or 'nothing (up to date)'} in {outputs.seconds:.1f} s")
    return OK


def _proof(args: argparse.Namespace, log: Callable[[str], None]) -> int:
    from folio.commands.proof import proof

    pages = args.pages.split(",") if args.pages else None
    for path in proof(args.project, pages, edition="pdf" if args.edition == "screen" else "print"):
        print(f"wrote {path}")
    return OK


def _clean(args: argparse.Namespace, log: Callable[[str], None]) -> int:
    shutil.rmtree(Path(args.project) / "build", ignore_errors=True)
    return OK


def _verify(args: argparse.Namespace, log: Callable[[str], None]) -> int:
    from folio.commands.verify import verify

    problems = verify(args.project)
    if problems:
        print("verify: FAILED\n" + "\n".join(problems), file=sys.stderr)
        return BAD_INPUT
    print("verify: every output matches the manifest and a fresh rebuild")
    return OK


def _release(args: argparse.Namespace, log: Callable[[str], None]) -> int:
    from folio.commands.release import release

    for path in release(args.project):
        print(f"wrote {path}")
    return OK


def _check(args: argparse.Namespace, log: Callable[[str], None]) -> int:
    from folio.check import Tools, format_report, run_checks

    try:
        results = run_checks(args.project, Tools(Path(args.node_modules)), args.only)
    except ValueError as exc:  # an unknown validator named with --only
        raise BuildError(str(exc)) from None
    print(format_report(results))
    return OK if all(result.ok for result in results) else BAD_INPUT


def _serve(args: argparse.Namespace, log: Callable[[str], None]) -> int:
    from folio.commands.serve import serve

    serve(args.project, args.port, all_editions=args.all, log=print)
    return OK


def _diff(args: argparse.Namespace, log: Callable[[str], None]) -> int:
    from folio.commands.diff import diff

    diff(args.project, args.rev, args.to, log=log)
    return OK


def _new(args: argparse.Namespace, log: Callable[[str], None]) -> int:
    from folio.commands.new import new_project

    made = new_project(args.path, args.title, args.publisher)
    log(f"made {made}: build it with 'folio --project {args.path}'; see its README.md")
    return OK


def _stats(args: argparse.Namespace, log: Callable[[str], None]) -> int:
    from folio.commands.stats import stats, table

    print(table(stats(args.project)))
    return OK


# --- The parser ---------------------------------------------------------------------------

COMMANDS: dict[str, tuple[Callable[[argparse.Namespace, Callable[[str], None]], int], str]] = {
    "build": (_build, "publish editions into build/ (default: every edition)"),
    "proof": (_proof, "render chosen PDF pages to build/proof/"),
    "clean": (_clean, "remove build/ (and nothing else)"),
    "verify": (_verify, "rebuild in a temporary folder and compare with build/manifest.json"),
    "release": (_release, "copy the editions to dist/ with SHA256SUMS and an OPDS feed"),
    "check": (_check, "run the validators on the built editions; fail on any error"),
    "serve": (_serve, "preview the HTML edition, rebuilt and reloaded on each save"),
    "diff": (_diff, "write build/diff/index.html: the words changed between two drafts"),
    "stats": (_stats, "words, reading time and PDF pages per section"),
    "new": (_new, "make a minimal project at PATH that builds at once (with its own README)"),
}


def _with_command(argv: list[str]) -> list[str]:
    """The arguments with their command first: ``build`` when none is named, so that
    ``python -m folio --project X pdf`` still builds the PDF. A command may come after the
    options (``--project X stats``)."""
    index = 0
    while index < len(argv):
        token = argv[index]
        if token == "--":
            break
        if not token.startswith("-"):
            if token in COMMANDS:
                return [token, *argv[:index], *argv[index + 1:]]
            break
        index += 2 if token == "--project" else 1
    if any(token in ("-h", "--help", "--version") for token in argv[:index]) and index == len(argv):
        return argv  # the top level's help or version
    return ["build", *argv]


def _version() -> str:
    try:
        return version("folio")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="folio", description="Publish a report (Markdown and YAML) as HTML, EPUB 3 and PDF editions.",
        epilog="Without a command, folio builds: python -m folio [EDITION ...].")
    parser.add_argument("--version", action="version", version=f"folio {_version()}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--project", default=".", help="the report's folder (default: .)")
    common.add_argument("--quiet", action="store_true", help="print only errors")
    common.add_argument("--debug", action="store_true",
                        help="also print the traceback of a problem with the report")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    sub = {name: commands.add_parser(name, parents=[common], help=text, description=text)
           for name, (_, text) in COMMANDS.items()}
    for name, (run, _) in COMMANDS.items():
        sub[name].set_defaults(run=run, parser=sub[name])
    sub["build"].add_argument("editions", nargs="*", metavar="EDITION",
                              help="html, epub, pdf or print (the print edition of the PDF; default: all)")
    sub["proof"].add_argument("--pages", help="comma-separated: cover, contents, chapter, team, an id,"
                                              " or a page number")
    sub["proof"].add_argument("--edition", choices=("screen", "print"), default="screen")
    sub["check"].add_argument("--only", action="append",
                              help="run only this validator (repeatable): epubcheck, ace, vnu, axe, links or pdf")
    sub["check"].add_argument("--node-modules", default=str(NODE_MODULES),
                              help="where npm installed the validators (default: tools/node_modules)")
    sub["serve"].add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000)")
    sub["serve"].add_argument("--all", action="store_true",
                              help="rebuild the PDF and EPUB on every change too, not only on request")
    sub["diff"].add_argument("rev", help="the earlier revision (a commit, tag or branch, e.g. HEAD~2)")
    sub["diff"].add_argument("to", nargs="?", help="the later revision (default: the working tree)")
    sub["new"].add_argument("path", help="the new project's folder (must not exist, or be empty)")
    sub["new"].add_argument("--title", help="the publication's title (default: from the folder's name)")
    sub["new"].add_argument("--publisher", help="the publisher's name")
    return parser


if __name__ == "__main__":
    sys.exit(main())
