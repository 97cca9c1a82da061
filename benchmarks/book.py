"""Benchmark of a book (issue 13): ``python benchmarks/book.py [--chapters 40] [--seed 13]``.

Generates, from a fixed seed, a book that looks like a real one (chapters of
prose with footnotes, nested lists, code blocks, tables over several pages,
images, cross-references between chapters, a bibliography; about 15 pages a
chapter, so 40 chapters is about 600 pages), then times, each as a separate
process (Python start-up included):

- folio's screen PDF, cold (chapter by chapter, in the pool);
- WeasyPrint laying out the same book's single HTML document as one document
  (``editions.pdf.layout.lay_out``, the element bound bypassed);
- all editions, cold; all editions after a one-word edit of one chapter; all
  editions after an edit that adds a page to the first chapter.

Columns: wall seconds, CPU seconds of the process tree (user + system: less
dependent on the machine's load than wall time), the peak of the largest
single process (the kernel's high-water mark of its resident size, exact) and of
the whole tree (PSS sum, sampled every 50 ms: ``run.measure_command``). The
sampler slows a build that uses every core (by 3 to 6 s of the 42 of all
editions), so each row is run twice from the same state (the project copied
before, put back after): timed without the sampler, then sampled for the tree's
memory.
The report's own rows are ``benchmarks/run.py``'s. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import PYTHON, REPO, Measured
from run import measure_command as measure

WORDS = [
    "policy", "government", "response", "crisis", "early", "warning", "evidence", "decision",
    "cabinet", "minister", "parliament", "public", "opinion", "media", "coverage", "humanitarian",
    "intervention", "mandate", "mission", "resources", "budget", "capacity", "diplomacy",
    "coalition", "partner", "region", "conflict", "civilian", "protection", "mechanism",
    "institution", "commitment", "leadership", "accountability", "strategy", "analysis", "survey",
    "interview", "archive", "record", "committee", "hearing", "report", "review", "reform", "the",
    "of", "and", "to", "in", "that", "a", "is", "for", "on", "with", "as", "by", "this", "was",
    "which", "are", "be", "it", "from", "at"
]


def words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def paragraph(rng: random.Random, n: int) -> str:
    return words(rng, n).capitalize() + "."


def generate(root: Path, chapters: int, seed: int) -> None:
    """A book project in ``root``: data/, manuscript/, templates/ (the repository's)."""
    rng = random.Random(seed)
    shutil.copytree(REPO / "templates", root / "templates")
    (root / "data").mkdir(parents=True)
    manuscript = root / "manuscript"
    (manuscript / "img").mkdir(parents=True)
    figure(manuscript / "img" / "figure.jpg")
    (root / "data" / "publication.yaml").write_text(
        "title: A Generated Book\nsubtitle: For the Benchmark\nslug: generated-book\nlanguage: en\n"
        "publisher: The Benchmark Press\nplace: Montreal\nyear: 2024\ndate: 2024-03-15\n"
        "identifier: urn:uuid:9d3b2a1c-0e4f-4a5b-8c6d-7e8f9a0b1c2d\n"
        "rights: \"© 2024 The Benchmark Press.\"\ndescription: A generated book.\n")
    refs = ["references:"]
    for i in range(60):
        refs += [f"  - id: ref{i}", "    type: book", f"    title: {words(rng, 5).title()}",
                 f"    author:\n      - family: Author{i}\n        given: A.",
                 f"    issued:\n      date-parts: [[{1950 + i}]]", "    publisher: A Press"]
    (root / "data" / "references.yaml").write_text("\n".join(refs) + "\n")
    contents = ["front:",
                "  - {template: title-page.html, id: title-page, title: Title page, type: titlepage, toc: false}",
                "  - {template: contents.html, id: contents, title: Contents, type: toc, toc: false}",
                "body:"]
    for c in range(1, chapters + 1):
        contents.append(f"  - {{source: ch{c:02d}.md, type: chapter}}")
        (manuscript / f"ch{c:02d}.md").write_text(chapter(rng, c, chapters))
    contents += ["back:",
                 "  - {template: references.html, id: references, title: References, type: bibliography}"]
    (root / "data" / "contents.yaml").write_text("\n".join(contents) + "\n")


def figure(path: Path) -> None:
    """A figure as a printer takes it: CMYK, 1,500 pixels wide (over 300 ppi across the
    measure), drawn from nothing random, so the same bytes every time."""
    from PIL import Image, ImageDraw

    image = Image.new("CMYK", (1500, 900), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    for i in range(12):
        draw.rectangle((60 + i * 115, 850 - i * 60, 140 + i * 115, 850), fill=(200, 40 + i * 10, 0, 20))
    image.save(path, "JPEG", quality=85, dpi=(300, 300))


def chapter(rng: random.Random, c: int, chapters: int) -> str:
    """About fifteen pages."""
    out = [f"# Chapter {c}: {words(rng, 3).title()} {{#ch{c}}}", ""]
    for s in range(1, 5):
        out += [f"## Section {c}.{s} {{#ch{c}-s{s}}}", ""]
        for p in range(5):
            other = rng.randint(1, chapters)
            note = f"[^n{s}{p}]" if p % 2 == 0 else ""
            out += [paragraph(rng, 120) + note + f" See [chapter {other}](#ch{other}-s{rng.randint(1, 4)})"
                    f" and [@ref{rng.randrange(60)}].", ""]
            if note:
                out += [f"[^n{s}{p}]: {paragraph(rng, 25)}", ""]
        if s == 1:
            out += [f"- {words(rng, 8)}", f"  - {words(rng, 10)}", f"  - {words(rng, 6)}",
                    f"    1. {words(rng, 7)}", f"    2. {words(rng, 7)}", f"- {words(rng, 9)}", ""]
        if s == 2:
            out += [f"```{{#code{c} .python}}", *(f"def step_{i}(value):\n    return value * {i} + {rng.randint(1, 9)}"
                                   for i in range(6)), "```", ""]
        if s == 3:
            out += ["| Year | Region | Cases | Share |", "|------|--------|------:|------:|"]
            out += [f"| {1990 + r} | {rng.choice(WORDS).title()} | {rng.randint(10, 9999)} |"
                    f" {rng.randint(1, 99)}% |" for r in range(70)]
            out += ["", f": Table {c}: {words(rng, 4)}", ""]
        if s == 4:
            out += [f"![Figure {c}: {words(rng, 5)}](img/figure.jpg)", ""]
    return "\n".join(out) + "\n"


def screen_pages(root: Path) -> int:
    import pypdfium2

    return len(pypdfium2.PdfDocument(root / "build" / "generated-book.pdf"))


SINGLE = """
import datetime as dt, sys
from pathlib import Path
from folio.content.gather import gather
from folio.content.render import make_environment
from folio.editions.pdf.document import pdf_document_html
from folio.editions.pdf.layout import BASE_URL, ProjectFetcher, weasyprint
from folio.inputs.load import load_project
root = Path(sys.argv[1])
report = gather(load_project(root), cache_dir=root / "build" / ".cache" / "pandoc")
html = pdf_document_html(report, make_environment(root / "templates"), dt.datetime(2024, 3, 15))
# WeasyPrint alone: one document laid out and written, nothing of folio's around it.
document = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=ProjectFetcher(root)).render()
document.write_pdf(pdf_variant="pdf/ua-1")
print(len(document.pages), file=sys.stderr)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapters", type=int, default=40)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--scale", action="store_true",
                        help="also the book at twice its length: folio's screen PDF, cold")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "SOURCE_DATE_EPOCH": "1710460800"}

    def folio(root: Path, *e: str) -> list[str]:
        return [PYTHON, "-m", "folio", "--project", str(root), "--quiet", *e]

    rows: list[tuple[str, Measured]] = []
    load_before = os.getloadavg()[0]

    def row(name: str, command: list[str], root: Path) -> None:
        """Timed unsampled, then run again from the same state for the tree's memory."""
        before = root.with_name(root.name + "-before")
        shutil.copytree(root, before, symlinks=True)
        timed = measure(command, env, sample=False)
        shutil.rmtree(root)
        before.rename(root)
        sampled = measure(command, env)
        rows.append((name, Measured(timed.seconds, timed.cpu, timed.largest, sampled.tree)))

    with tempfile.TemporaryDirectory(prefix="folio-book-") as tmp:
        root = Path(tmp) / "book"
        generate(root, args.chapters, args.seed)
        # pandoc's cache warmed first, for the single document's run as for folio's
        subprocess.run(folio(root, "html"), env=env, check=True, capture_output=True)
        row("WeasyPrint, one document", [PYTHON, "-c", SINGLE, str(root)], root)
        shutil.rmtree(root / "build" / ".cache" / "pdf", ignore_errors=True)
        row("folio screen PDF, cold", folio(root, "pdf"), root)
        shutil.rmtree(root / "build")
        row("all editions, cold", folio(root), root)
        before = screen_pages(root)
        chapter = root / "manuscript" / f"ch{args.chapters // 2:02d}.md"
        chapter.write_text(chapter.read_text().replace(" policy ", " policies ", 1))
        row("all, one word edited", folio(root), root)
        first = root / "manuscript" / "ch01.md"
        first.write_text(first.read_text() + "\n\n" + "\n\n".join(
            paragraph(random.Random(i), 120) for i in range(8)) + "\n")
        row("all, pages added (ch. 1)", folio(root), root)
        pages = screen_pages(root)
        if args.scale:
            double = Path(tmp) / "double"
            generate(double, 2 * args.chapters, args.seed)
            subprocess.run(folio(double, "html"), env=env, check=True, capture_output=True)
            row("screen PDF, cold, 2x the book", folio(double, "pdf"), double)
    single = rows[0][1]
    cold = rows[2][1]
    print(f"book: {args.chapters} chapters, {before} pages ({pages} after the last edit),"
          f" seed {args.seed}")
    print(f"{'measurement':<28} {'wall s':>7} {'CPU s':>7} {'x 1-doc CPU':>11} {'x cold CPU':>10}"
          f" {'largest MB':>10} {'tree MB':>8}")
    for name, m in rows:
        print(f"{name:<28} {m.seconds:>7.1f} {m.cpu:>7.1f} {m.cpu / single.cpu:>11.2f}"
              f" {m.cpu / cold.cpu:>10.2f} {m.largest / 1e6:>10.0f} {m.tree / 1e6:>8.0f}")
    if args.scale:  # (WeasyPrint's one document of it is not run: it would need 2 GB)
        twice, screen = rows[-1][1], rows[1][1]
        print(f"twice the book: folio's screen PDF {twice.cpu / screen.cpu:.2f}x the CPU,"
              f" {twice.seconds / screen.seconds:.2f}x the wall time, largest process"
              f" {twice.largest / 1e6:.0f} MB against {screen.largest / 1e6:.0f} MB")
    print(f"({os.cpu_count()} CPUs; load average {load_before:.2f} at the start,"
          f" {os.getloadavg()[0]:.2f} at the end; "
          "the report's rows: benchmarks/run.py)")


if __name__ == "__main__":
    main()
