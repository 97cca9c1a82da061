"""Command line: ``python -m folio [--project PATH] [EDITION ...]``.

A BuildError prints its located problems and exits 1 without a traceback;
any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import sys

from .build import EDITIONS, build
from .errors import BuildError


def main(argv: list[str] | None = None) -> int:
    """Build the report; return the exit code."""
    parser = argparse.ArgumentParser(prog="folio", description=__doc__.splitlines()[0])
    parser.add_argument("editions", nargs="*", metavar="EDITION", help="html, epub, pdf or print (the print edition of the PDF; default: all)")
    parser.add_argument("--project", default=".", help="the report's folder (default: .)")
    parser.add_argument("--quiet", action="store_true", help="print only errors")
    args = parser.parse_args(argv)
    for edition in args.editions:
        if edition not in EDITIONS:
            parser.error(f"unknown edition '{edition}' (choose from {', '.join(EDITIONS)})")
    log = (lambda m: None) if args.quiet else (lambda m: print(m, file=sys.stderr))
    try:
        outputs = build(args.project, tuple(args.editions or EDITIONS), log=log)
    except BuildError as exc:
        print(exc, file=sys.stderr)
        return 1
    log(f"built in {outputs.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
