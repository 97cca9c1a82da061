"""``build(project)``: load and check everything, then write the requested editions.

The order is the house rule: gather and validate every input first (data,
chapters, templates, ids, links, images) and make every edition in memory;
only then write, each file atomically, and the provenance manifest last.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from folio.pipeline import incremental
from folio.pipeline import workers as parallel
from folio.pipeline.lock import locked
from folio.pipeline.provenance import MANIFEST, make_manifest, output_entry, read_manifest
from folio.pipeline.output import write_file, write_tree
from folio.inputs.paths import check_links
from folio.pipeline.progress import Progress

if TYPE_CHECKING:
    from folio.content.gather import Report

#: "print" is the PDF's print edition (bleed and crop marks), ``<slug>-print.pdf``.
EDITIONS = ("html", "epub", "pdf", "print")


@dataclass(frozen=True)
class Outputs:
    """Where a build put each edition."""

    paths: dict[str, Path]
    seconds: float
    rebuilt: tuple[str, ...] = ()
    """The editions made again; the others were up to date and left untouched."""


def edition_names(report: Report) -> dict[str, str]:
    """File names of the PDF and EPUB editions, inside the build folder."""
    slug = report.publication.slug
    return {"pdf": f"{slug}.pdf", "epub": f"{slug}.epub", "print": f"{slug}-print.pdf",
            "cover": f"{slug}-print-cover.pdf"}


@locked  # one build at a time per build folder; see lock.py
def build(project_dir: Path | str = ".", editions=EDITIONS, out_dir: Path | str | None = None,
          log=lambda message: None) -> Outputs:
    """Build the chosen editions of the report in ``project_dir`` into ``out_dir`` (default build/).

    Editions whose inputs are unchanged since they were last built (see ``incremental``)
    are neither made again nor written; the PDF is made in a child process, beside the
    HTML and EPUB.
    """
    say = Progress(log)
    unknown = set(editions) - set(EDITIONS)
    if unknown:
        raise ValueError(f"unknown editions: {sorted(unknown)}")
    root = Path(project_dir).resolve()
    out = Path(out_dir) if out_dir else root / "build"
    if (root / "data").is_dir():
        check_links(root)  # before the plan hashes any input: nothing outside is ever read
    plan = incremental.plan(root, out, editions)
    if plan.manifest_fresh:
        say(f"up to date: {', '.join(editions)}")
        return Outputs(_paths(out, plan), say.elapsed)
    todo = plan.stale
    cache = out / ".cache" / "pandoc"
    # gather -> [HTML] || [PDF layout -> PDF, then EPUB] || [print PDF]. Each PDF is laid out
    # in a child forked now, before pandoc's threads start: it loads WeasyPrint (~0.7 s)
    # while pandoc converts the chapters, then waits for its document. The EPUB's page list
    # follows the print edition's pages (pageBreakSource), its cover image is the screen PDF's
    # page 1: the screen edition has no blank pages, the print edition its recto openings.
    workers = {}
    for name, edition in (("pdf", "screen"), ("print", "print")):
        if name in todo or "epub" in todo:
            workers[edition] = parallel.spawn(_lay_out, ["folio.editions.pdf.layout"])
    html = epub = pdf = printed = None
    try:
        # pandoc starts on the chapters first; loading the data schemas (~0.5 s) and ebooklib
        # overlaps its work. Imported here, not above: a no-op build skips them.
        from folio.content.convert import pandoc_binary, prefetch, settle
        conversions = prefetch(root, cache, say)
        preload = parallel.preload(["folio.editions.epub.package"] if "epub" in todo else [])
        from folio.inputs.load import load_project
        from folio.content.gather import gather
        from folio.editions.common import source_date
        from folio.editions.pdf.document import layout_request

        try:
            project = load_project(root)
            report = gather(project, cache_dir=cache, log=say)
        finally:
            settle(conversions)
        say(f"gathered {len(report.sections)} sections")
        names = edition_names(report)
        for edition, worker in workers.items():
            worker.send(layout_request(report, edition, cover=edition == "screen" and "epub" in todo))
            say(f"{'pdf' if edition == 'screen' else edition}: laying out pages")
        if "html" in todo:
            from folio.editions.html import build_html
            html = build_html(report, {"PDF": f"../{names['pdf']}", "EPUB": f"../{names['epub']}"})
            say("html: made")
        preload.result()
        if "epub" in todo:  # while the PDF is laid out
            from folio.editions.html import font_files
            from folio.pipeline.output import precompress
            precompress(font_files(root).values())
        layout = workers["screen"].result() if "screen" in workers else None
        if "pdf" in todo:
            pdf, pages = layout.data, layout.pages
            say("pdf: made")
        printed_layout = workers["print"].result() if "print" in workers else None
        if "epub" in todo:
            from folio.editions.epub.package import build_epub
            from folio.editions.pagelist import page_breaks
            epub = build_epub(report, layout.cover,
                              page_breaks(report.sections, printed_layout.anchors, printed_layout.labels,
                                          printed_layout.first_lines))
            say("epub: made")
        if "print" in todo:
            printed, print_pages = printed_layout.data, printed_layout.pages
            spread = printed_layout.spread
            say("print: made")
    except BaseException:
        for worker in workers.values():
            worker.discard()
        raise

    # Everything is made: now write. The manifest keeps the records of editions not rebuilt.
    records = {**_previous_records(out), **incremental.recorded(plan)}
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
        # The print edition's second file: its cover spread, sized from the interior.
        say(f"wrote {write_file(out / names['cover'], spread)}")
        records[names["cover"]] = output_entry(names["cover"], spread, pages=1)
    for path in paths.values():
        say(f"wrote {path}")
    epoch = int(source_date(report).timestamp())
    manifest = make_manifest(project.root, epoch, pandoc_binary()[1], list(records.values()))
    _write_if_changed(out / MANIFEST, manifest)
    owned = {e: [r for r in records if r.startswith("html/")] if e == "html" else
             [names["print"], names["cover"]] if e == "print" else [names[e]] for e in editions}
    _write_if_changed(out / ".cache" / incremental.STAMP,
                      incremental.stamp_bytes(plan, records, owned, manifest))
    return Outputs({**_paths(out, plan), **paths}, say.elapsed, todo)


def _lay_out(request):
    """The PDF stage, as the forked worker runs it (WeasyPrint is loaded there only)."""
    from folio.editions.pdf.layout import lay_out
    return lay_out(request)


def _paths(out: Path, plan) -> dict[str, Path]:
    """Where the editions recorded in the stamp are (for those not rebuilt)."""
    found = {}
    for name, entry in plan.stamp.get("editions", {}).items():
        # The print edition's cover spread is its second file, not the one it is known by.
        first = sorted(entry.get("outputs", {}), key=lambda rel: (rel.endswith("-cover.pdf"), rel))[:1]
        if first:
            found[name] = out / ("html" if name == "html" else first[0])
    return found


def _write_if_changed(path: Path, data: bytes) -> None:
    """Write atomically, unless the file already holds these bytes (its mtime then stays)."""
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    write_file(path, data)


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
