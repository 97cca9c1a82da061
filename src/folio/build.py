"""``build(project)``: load and check everything, then write the requested editions.

The order is the house rule: gather and validate every input first (data,
chapters, templates, ids, links, images) and make every edition in memory;
only then write, each file atomically, and the provenance manifest last.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from .config import load_project
from .convert import pandoc_binary
from .document import Report, gather
from .edition import source_date
from .epub import build_epub
from .htmlsite import build_html
from .lock import locked
from .manifest import MANIFEST, make_manifest, output_entry, read_manifest
from .output import write_file, write_tree
from .pagelist import page_breaks
from .pdf import build_pdf, print_layout

#: "print" is the PDF's print edition (bleed and crop marks), ``<slug>-print.pdf``.
EDITIONS = ("html", "epub", "pdf", "print")


@dataclass(frozen=True)
class Outputs:
    """Where a build put each edition."""

    paths: dict[str, Path]
    seconds: float


def edition_names(report: Report) -> dict[str, str]:
    """File names of the PDF and EPUB editions, inside the build folder."""
    slug = report.publication.slug
    return {"pdf": f"{slug}.pdf", "epub": f"{slug}.epub", "print": f"{slug}-print.pdf"}


@locked  # one build at a time per build folder; see lock.py
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
    html = epub = pdf = printed = None
    if "html" in editions:
        html = build_html(report, {"PDF": f"../{names['pdf']}", "EPUB": f"../{names['epub']}"})
    # The PDF is laid out first, once: the EPUB's page list follows its pages.
    layout = print_layout(report) if {"epub", "pdf"} & set(editions) else None
    if "epub" in editions:
        epub = build_epub(report, page_breaks(report.sections, layout.anchors, layout.labels,
                                              layout.first_lines))
    if "pdf" in editions:
        pdf, pages = layout.data, layout.pages
    if "print" in editions:
        printed, print_pages = build_pdf(report, "print")

    # Everything is made: now write. The manifest keeps the records of editions not rebuilt.
    records = _previous_records(out)
    paths = {}
    if html is not None:
        paths["html"] = write_tree(out / "html", html)
        records = {k: v for k, v in records.items() if not k.startswith("html/")}
        records.update({f"html/{rel}": output_entry(f"html/{rel}", data) for rel, data in html.items()})
    if epub is not None:
        paths["epub"] = write_file(out / names["epub"], epub)
        records[names["epub"]] = output_entry(names["epub"], epub)
    if pdf is not None:
        paths["pdf"] = write_file(out / names["pdf"], pdf)
        records[names["pdf"]] = output_entry(names["pdf"], pdf, pages=pages)
    if printed is not None:
        paths["print"] = write_file(out / names["print"], printed)
        records[names["print"]] = output_entry(names["print"], printed, pages=print_pages)
    for path in paths.values():
        log(f"wrote {path}")
    epoch = int(source_date(report).timestamp())
    manifest = make_manifest(project.root, epoch, pandoc_binary()[1], list(records.values()))
    write_file(out / MANIFEST, manifest)
    return Outputs(paths, time.perf_counter() - start)


def _previous_records(out: Path) -> dict[str, dict]:
    """Output records of the last manifest whose files are still there, unchanged in name."""
    path = out / MANIFEST
    if not path.is_file():
        return {}
    try:
        outputs = read_manifest(path)["outputs"]
    except (ValueError, KeyError):
        return {}
    return {o["path"]: o for o in outputs if (out / o["path"]).is_file()}
