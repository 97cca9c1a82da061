"""``proof``: chosen pages of the built PDF as PNGs in ``build/proof/``, for an editor to look at.

Pages are chosen by what they hold, not by number, so the defaults follow the
report as it grows: the cover, the contents, the first chapter's opening and
the contributors' (team) page. Any id of the report (a section or a heading)
or a page number (1 = the cover) may be asked for instead.
"""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader

from folio.content.gather import Report, gather
from folio.editions.catalog import files, paths
from folio.editions.pdf.cover import page_png
from folio.errors import BuildError
from folio.inputs.load import load_project
from folio.pipeline.output import write_file

#: The default proof pages: names understood by :func:`proof_targets`.
DEFAULT_PAGES = ("cover", "contents", "chapter", "team")


def proof(project_dir: Path | str = ".", pages: list[str] | tuple[str, ...] | None = None,
          edition: str = "pdf", dpi: float = 110, out_dir: Path | str | None = None,
          spread_dpi: float = 40) -> list[Path]:
    """Render the chosen pages of ``build/<slug>.pdf`` (or the print edition) to build/proof/;
    for the print edition, its cover spread and its interior as spreads too.

    ``pages`` defaults to those of DEFAULT_PAGES the report has (a report may have no team page).
    """
    project = load_project(project_dir)
    out = Path(out_dir) if out_dir else project.root / "build"
    report = gather(project, cache_dir=out / ".cache" / "pandoc")
    if pages is None:
        # The print interior has no cover: its cover is the spread (proof_spreads).
        pages = [name for name in DEFAULT_PAGES if name in _keywords(report)
                 and not (edition == "print" and name == "cover")]
    pdf_path = out / paths(report.publication.slug)[edition]
    if not pdf_path.is_file():
        raise BuildError(f"no PDF to proof: run 'invoke pdf{' --edition print' if edition == 'print' else ''}' first",
                         str(pdf_path))
    data = pdf_path.read_bytes()
    reader = PdfReader(pdf_path)
    written = []
    for name, index in proof_targets(report, reader, pages):
        png = page_png(data, index, dpi=dpi)
        prefix = "print-" if edition == "print" else ""
        written.append(write_file(out / "proof" / f"{prefix}p{index + 1:03d}-{name}.png", png))
    if edition == "print":
        interior, cover = files(report.publication.slug)["print"]
        written += proof_spreads(out / interior, out / cover, out / "proof", dpi=spread_dpi)
    return written


def proof_spreads(interior: Path, cover: Path, proofs: Path, dpi: float = 40) -> list[Path]:
    """The print edition as the printer will bind it, in ``proofs``: the cover spread
    (``print-cover-spread.png``) and the interior two pages at a time, page 1 alone on the
    right (``print-spreads.png``)."""
    from folio.editions.pdf.spreads import contact_sheet

    written = []
    if cover.is_file():
        written.append(write_file(proofs / "print-cover-spread.png", page_png(cover.read_bytes(), 0, dpi=dpi * 2)))
    written.append(write_file(proofs / "print-spreads.png", contact_sheet(interior.read_bytes(), dpi=dpi)))
    return written


def proof_targets(report: Report, reader: PdfReader, pages) -> list[tuple[str, int]]:
    """(name, page index) of each requested page: a keyword, an id of the report, or a number."""
    destinations = reader.named_destinations
    keywords = _keywords(report)
    found, problems = [], []
    for wanted in pages:
        target = keywords.get(wanted, wanted)
        if wanted.isdigit() and 1 <= int(wanted) <= len(reader.pages):
            found.append((f"page-{wanted}", int(wanted) - 1))
        elif target == 0:
            found.append((wanted, 0))
        elif isinstance(target, str) and target in destinations and (
                index := reader.get_destination_page_number(destinations[target])) is not None:
            found.append((wanted, index))
        else:
            problems.append(wanted)
    if problems:
        raise BuildError(f"proof: no such page: {', '.join(problems)} (use a page number, an id of "
                         f"the report, or one of: {', '.join(sorted(keywords))})")
    return found


def _keywords(report: Report) -> dict[str, object]:
    """The named pages: the cover (page 1), and the first section of a kind, by id."""
    def first(test):
        return next((s.id for s in report.sections if test(s)), None)

    named = {"cover": 0, "contents": first(lambda s: s.type == "toc"),
             "chapter": first(lambda s: s.part == "body"),
             "team": first(lambda s: s.type in ("contributors", "credits"))}
    return {key: value for key, value in named.items() if value is not None}
