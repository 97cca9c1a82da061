"""What the validators share: where the editions and the tools are, and what they report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from folio.editions.catalog import files, paths
from folio.inputs.load import load_project


@dataclass(frozen=True)
class Finding:
    """One problem a validator found: where, which rule, what."""

    file: str
    """The checked file, relative to the project (e.g. build/html/history.html)."""
    location: str
    """Line (and column), EPUB CFI, CSS selector or page, as the validator gives it."""
    rule: str
    """The validator's rule or message id."""
    message: str
    error: bool = True
    """False for a warning, which is reported but does not fail the check."""

    def __str__(self) -> str:
        where = f"{self.file}:{self.location}" if self.location else self.file
        kind = "" if self.error else "warning: "
        return f"{where}: {kind}[{self.rule}] {self.message}"


@dataclass(frozen=True)
class Result:
    """What one validator said, with its version; ``failure`` when it could not run."""

    validator: str
    version: str | None = None
    findings: tuple[Finding, ...] = ()
    failure: str | None = None
    checked: int = 0
    """How many files (pages, documents) it checked."""
    skipped: str | None = None
    """Why it did not run when that is no fault: the editions it checks were not built."""

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.error]

    @property
    def ok(self) -> bool:
        return self.failure is None and not self.errors


#: How the Java validators (EPUBCheck, the Nu checker) run: a check is a few seconds of a JVM,
#: most of it warming up. The client compiler alone and the serial collector halve their CPU
#: time and shorten their wall time (EPUBCheck on the report's EPUB: 7.9 to 3.4 CPU-s, 4.2 to
#: 2.6 s; on a ten-times longer one, 9.4 to 4.3 CPU-s); the Nu checker's schema needs a larger
#: stack than the client compiler's frames leave in the default one. Same verdicts.
JAVA_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss4m")


@dataclass(frozen=True)
class Tools:
    """Where the validators are: npm's node_modules, Java, Chromium."""

    node_modules: Path
    java: str = "java"
    chromium: str = "/usr/bin/chromium"

    def no_chromium(self) -> str | None:
        """A failure message when the browser is missing."""
        return None if Path(self.chromium).is_file() else f"Chromium not found: {self.chromium}"


@dataclass(frozen=True)
class Editions:
    """The built editions of a project."""

    root: Path
    slug: str
    """Base name of the PDF and EPUB files (data/publication.yaml)."""

    @classmethod
    def of(cls, project_dir: Path | str) -> Editions:
        """The editions of a project, named from its validated data."""
        project = load_project(project_dir)
        return cls(project.root, project.publication.slug)

    @property
    def build(self) -> Path:
        return self.root / "build"

    def path(self, edition: str) -> Path:
        """Where an edition is built (``folio.editions.catalog``)."""
        return self.build / paths(self.slug)[edition]

    @property
    def pdf(self) -> Path:
        return self.path("pdf")

    def pdfs(self) -> list[Path]:
        """The PDF editions for the screen (the printer's files are preflighted instead,
        ``check/press.py``: the print edition is PDF/X-4, not PDF/UA)."""
        return [self.pdf]

    @property
    def print_pdf(self) -> Path:
        """The print edition's interior, PDF/X-4."""
        return self.path("print")

    @property
    def cover_pdf(self) -> Path:
        """The print edition's cover spread, PDF/X-4: its second file (``catalog.Print``)."""
        return self.build / files(self.slug)["print"][1]

    @property
    def epub(self) -> Path:
        return self.path("epub")

    @property
    def html(self) -> Path:
        return self.path("html")

    def html_pages(self) -> list[Path]:
        return sorted(self.html.glob("*.html"))

    def rel(self, path: Path) -> str:
        """A path as the report shows it: relative to the project."""
        return path.relative_to(self.root).as_posix()

    def built(self) -> set[str]:
        """The editions whose files are in build/ (``folio.editions.catalog`` names)."""
        return {name for name, names in files(self.slug).items()
                if all((self.build / n).exists() for n in names)}

    def missing(self, *paths: Path) -> str | None:
        """A failure message when an edition was not built."""
        absent = [self.rel(p) for p in paths if not p.exists()]
        return f"not built: {', '.join(absent)} (run invoke build)" if absent else None
