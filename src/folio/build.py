"""``build(project)``: load and check everything, then write the requested editions.

The order is the house rule: gather and validate every input first (data,
chapters, templates, ids, links, images); only then make the editions, and
write each one atomically into ``build/``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from .config import load_project
from .document import Report, gather
from .epub import build_epub
from .htmlsite import build_html
from .output import write_file, write_tree
from .pdf import build_pdf

EDITIONS = ("html", "epub", "pdf")


@dataclass(frozen=True)
class Outputs:
    """Where a build put each edition."""

    paths: dict[str, Path]
    seconds: float


def edition_names(report: Report) -> dict[str, str]:
    """File names of the PDF and EPUB editions, inside the build folder."""
    slug = report.publication.slug
    return {"pdf": f"{slug}.pdf", "epub": f"{slug}.epub"}


def build(project_dir: Path | str = ".", editions=EDITIONS, out_dir: Path | str | None = None,
          log=lambda message: None) -> Outputs:
    """Build the chosen editions of the report in ``project_dir`` into ``out_dir`` (default build/)."""
    start = time.perf_counter()
    unknown = set(editions) - set(EDITIONS)
    if unknown:
        raise ValueError(f"unknown editions: {sorted(unknown)}")
    project = load_project(project_dir)
    out = Path(out_dir) if out_dir else project.root / "build"
    report = gather(project, cache_dir=out / ".cache" / "pandoc")
    log(f"gathered {len(report.sections)} sections")
    names = edition_names(report)
    made: dict[str, bytes | dict[str, bytes]] = {}
    if "html" in editions:
        made["html"] = build_html(report, {"PDF": f"../{names['pdf']}", "EPUB": f"../{names['epub']}"})
    if "epub" in editions:
        made["epub"] = build_epub(report)
    if "pdf" in editions:
        made["pdf"] = build_pdf(report)
    paths = {}
    for edition in EDITIONS:
        if edition not in made:
            continue
        if edition == "html":
            paths[edition] = write_tree(out / "html", made[edition])
        else:
            paths[edition] = write_file(out / names[edition], made[edition])
        log(f"wrote {paths[edition]}")
    return Outputs(paths, time.perf_counter() - start)
