"""Command line: ``python -m folio [--project PATH] [--debug] [EDITION ...]``, or
``python -m folio new PATH`` to start a project.

A BuildError prints its located problems and exits 1 without a traceback
(``--debug`` shows it too). Ctrl-C or SIGTERM stops the build with exit 130 or
143, leaving the last good editions in place. Any other exception is a bug: it
prints its traceback and says so, and exits 70.
"""

from __future__ import annotations

import argparse
import sys
import traceback

from folio.pipeline.build import EDITIONS, build
from folio.errors import BuildError
from folio.pipeline.lock import Terminated

#: Exit codes: bad input, a bug (EX_SOFTWARE), and the shell's codes for SIGINT and SIGTERM.
BAD_INPUT, BUG, INTERRUPTED, TERMINATED = 1, 70, 130, 143
BUG_NOTE = "This is a bug in folio, not a problem with your report; please report it with the traceback above."


def main(argv: list[str] | None = None) -> int:
    """Build the report (or make a new project: ``new PATH``); return the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["new"]:
        return _new(argv[1:])
    parser = argparse.ArgumentParser(prog="folio", description=__doc__.splitlines()[0])
    parser.add_argument("editions", nargs="*", metavar="EDITION", help="html, epub, pdf or print (the print edition of the PDF; default: all)")
    parser.add_argument("--project", default=".", help="the report's folder (default: .)")
    parser.add_argument("--quiet", action="store_true", help="print only errors")
    parser.add_argument("--debug", action="store_true",
                        help="also print the traceback of a problem with the report")
    args = parser.parse_args(argv)
    for edition in args.editions:
        if edition not in EDITIONS:
            parser.error(f"unknown edition '{edition}' (choose from {', '.join(EDITIONS)})")
    log = (lambda m: None) if args.quiet else (lambda m: print(m, file=sys.stderr))
    try:
        outputs = build(args.project, tuple(args.editions or EDITIONS), log=log)
    except BuildError as exc:
        if args.debug:
            traceback.print_exc()
        print(exc, file=sys.stderr)
        return BAD_INPUT
    except (KeyboardInterrupt, Terminated) as exc:
        print("folio: interrupted; the editions of the last good build are unchanged",
              file=sys.stderr)
        return INTERRUPTED if isinstance(exc, KeyboardInterrupt) else TERMINATED
    except Exception:  # noqa: BLE001 - anything else is a bug: say so, with the traceback
        traceback.print_exc()
        print(BUG_NOTE, file=sys.stderr)
        return BUG
    log(f"built in {outputs.seconds:.1f} s")
    return 0


def _new(argv: list[str]) -> int:
    """``folio new PATH [--title T] [--publisher P]``: a minimal project that builds at once."""
    from folio.commands.new import new_project

    parser = argparse.ArgumentParser(prog="folio new", description=_new.__doc__)
    parser.add_argument("path", help="the new project's folder (must not exist, or be empty)")
    parser.add_argument("--title", help="the publication's title (default: from the folder's name)")
    parser.add_argument("--publisher", help="the publisher's name")
    args = parser.parse_args(argv)
    try:
        made = new_project(args.path, args.title, args.publisher)
    except BuildError as exc:
        print(exc, file=sys.stderr)
        return BAD_INPUT
    print(f"made {made}: build it with 'folio --project {args.path}'; see its README.md",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
