"""Load and validate a report project: ``data/*.yaml`` and the reading order.

Nothing is written here. Every problem found in one pass (a YAML error, an
unknown key, a missing chapter) is collected and raised as one BuildError.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from folio.errors import BuildError, Problems
from folio.inputs.models import REQUIRED, SCHEMAS, Contents, Contributors, Entry, Model, Publication
from folio.inputs.paths import check_links, lf
from folio.inputs.schemas import load_schema, problem_for_missing, schema_path, validate
from folio.inputs.yamlload import Lines, line_of, load_yaml
from folio.theme import resolve

PARTS = ("front", "body", "back")


@dataclass(frozen=True)
class Spec:
    """One entry of the reading order, with its files resolved and read."""

    part: str
    """'front', 'body' or 'back'."""
    entry: Entry
    """The entry as declared in data/contents.yaml."""
    line: int | None
    """Line of the entry in data/contents.yaml."""
    source: str | None = None
    """Markdown path relative to the project, e.g. 'manuscript/history.md'."""
    text: str | None = None
    """The Markdown text, decoded (of every file, in order, for an entry of several files)."""
    pieces: tuple[tuple[str, int], ...] = ()
    """For an entry of several files: (project-relative path, line of ``text`` it starts on)."""

    def locate(self, line: int | None) -> tuple[str | None, int | None]:
        """The file and line that a line of ``text`` comes from."""
        if not self.pieces or line is None:
            return self.source, line
        path, first = next((p, f) for p, f in reversed(self.pieces) if f <= line)
        return path, line - first + 1


@dataclass(frozen=True)
class Project:
    """A loaded, validated report: everything the later stages need."""

    root: Path
    publication: Publication
    data: dict[str, Any]
    """Every data file by name: the package's models, the project's files as plain values."""
    specs: tuple[Spec, ...]
    files: dict[str, bytes] = field(default_factory=dict)
    """Every input file read, by project-relative path (for hashing)."""

    def path(self, rel: str) -> Path:
        """Absolute path of a project-relative path."""
        return self.root / rel

    @property
    def credits(self) -> tuple[tuple[str, str], ...]:
        """(name, MARC relator) of everyone in the contributors file, in print order."""
        stem = self.publication.contributors
        return self.data[stem].credits() if stem in self.data else ()

    @property
    def bibliography(self) -> str | None:
        """Project-relative path of the bibliography, if the report has one."""
        return "data/references.yaml" if "references" in self.data else None


def load_project(root: Path | str, links_checked: bool = False) -> Project:
    """Read and validate a project folder; raise one BuildError listing every problem.

    ``links_checked``: the caller ran :func:`check_links` on ``root`` already (the build
    does, before it hashes any input), so it is not walked a second time."""
    root = Path(root).resolve()
    problems = Problems()
    if not (root / "data").is_dir():
        raise BuildError("not a report project: no data/ folder", str(root))
    if not links_checked:  # before reading anything: no file outside the project is ever read
        check_links(root)
    data: dict[str, Any] = {}
    lines: dict[str, Lines] = {}
    files: dict[str, bytes] = {}
    paths = sorted((root / "data").iterdir())
    contributors = _contributors_stem(root)
    for path in paths:
        rel = f"data/{path.name}"
        if path.suffix == ".yml":
            problems.add("data files end in .yaml, not .yml", rel)
            continue
        if path.suffix != ".yaml" or not path.is_file():
            continue
        stem = path.stem
        try:
            model = Contributors if stem == contributors else SCHEMAS.get(stem)
            schema, raw = (None, None) if model else load_schema(root, stem)
            if model is None and (schema is None or raw is None):
                problems.items.append(problem_for_missing(stem, rel))
                continue
            if raw is not None:
                files[schema_path(stem)] = raw
            files[rel] = path.read_bytes()
            value, lines[stem] = load_yaml(path, rel)
            if model is not None:
                data[stem] = _validate(model, value, lines[stem], rel)
            elif schema is not None:
                data[stem] = validate(schema, value, lines[stem], rel)
        except BuildError as exc:
            problems.extend(exc)
        except OSError as exc:
            problems.add(f"cannot be read: {(exc.strerror or str(exc)).lower()}", rel)
    for stem in REQUIRED:
        if stem not in data and not (root / "data" / f"{stem}.yaml").exists():
            purpose = (SCHEMAS[stem].__doc__ or ":").split(":")[1].strip().rstrip(".")
            problems.add(f"required file is missing ({purpose})", f"data/{stem}.yaml")
    specs: list[Spec] = []
    contents, publication = data.get("contents"), data.get("publication")
    if isinstance(contents, Contents):
        specs = _resolve_contents(root, contents, lines["contents"], problems, files)
    if contributors and contributors not in data and \
            not (root / "data" / f"{contributors}.yaml").exists():
        problems.add(f"'contributors: {contributors}' names data/{contributors}.yaml,"
                     " which does not exist", "data/publication.yaml",
                     lines.get("publication", Lines()).get(("contributors",)))
    problems.raise_if_any()
    assert isinstance(publication, Publication)  # required: a problem above if it were missing
    return Project(root, publication, data, tuple(specs), files)


def _contributors_stem(root: Path) -> str | None:
    """The data file publication.yaml names as its contributors, read leniently: the
    publication's own problems are reported when it is validated, and a file broken
    elsewhere (a bad date) still names its contributors."""
    path = root / "data" / "publication.yaml"
    try:
        value, _ = load_yaml(path, "data/publication.yaml")
        stem = value.get("contributors") if isinstance(value, dict) else None
    except BuildError:
        found = re.search(r"^contributors:[ \t]*['\"]?([a-z][a-z0-9_-]*)", path.read_text(
            "utf-8", "replace"), re.M)
        stem = found.group(1) if found else None
    except OSError:
        return None
    return stem if isinstance(stem, str) and stem not in SCHEMAS else None


def _validate(schema: type[Model], value, lines: Lines, rel: str) -> Model:
    """Validate one file's value; translate pydantic's errors into located problems."""
    if not isinstance(value, dict):
        raise BuildError(f"expected a mapping of keys at the top, found {_kind(value)}", rel, 1)
    try:
        return schema.model_validate(value)
    except ValidationError as exc:
        problems = Problems()
        errors = exc.errors()
        for err in errors:
            loc = tuple(err["loc"])
            if err["type"] == "too_short" and _has_inner_error(errors, loc):
                continue  # pydantic counts only the valid items: the inner error says it all
            if err["type"] == "missing" and _misspelt(errors, loc):
                continue  # 'nmae' given for 'name': the unknown key's hint says it all
            problems.add(_message(schema, err, loc, lines), rel, line_of(lines, loc))
        raise BuildError(problems.items) from None


def _misspelt(errors: list[ErrorDetails], loc: tuple) -> bool:
    """Whether a missing key sits beside an unknown key that is a near miss of it."""
    unknown = [str(e["loc"][-1]) for e in errors
               if e["type"] == "extra_forbidden" and tuple(e["loc"][:-1]) == loc[:-1]]
    return bool(difflib.get_close_matches(str(loc[-1]), unknown, n=1))


def _has_inner_error(errors: list[ErrorDetails], loc: tuple) -> bool:
    return any(len(e["loc"]) > len(loc) and tuple(e["loc"][:len(loc)]) == loc for e in errors)


def _message(schema: type[Model], err: ErrorDetails, loc: tuple, lines: Lines) -> str:
    """One readable sentence for a pydantic error, saying what to write where it can."""
    where = _dotted(loc[:-1]) if loc else ""
    prefix = f"in {where}: " if where else ""
    key = loc[-1] if loc else ""
    if err["type"] == "missing":
        return f"{prefix}'{key}' is required"
    if err["type"] == "extra_forbidden":
        known = _known_keys(schema, loc[:-1])
        close = difflib.get_close_matches(str(key), known, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else f" (allowed: {', '.join(known)})"
        return f"{prefix}unknown key '{key}'{hint}"
    if err["type"] == "string_type" and loc in lines.raw:
        raw = lines.raw[loc]
        return (f"{_dotted(loc)}: YAML reads {raw} as {_kind(err['input'])}, not as text:"
                f" quote it to keep it as written: '{raw}'")
    if err["type"] == "model_type" and err.get("ctx", {}).get("class_name") == "Date":
        return f"{_dotted(loc)}: {_csl_date_hint(err['input'], lines.raw.get(loc))}"
    if err["type"].startswith("date_"):
        return f"{_dotted(loc)}: {_date_hint(err['input'], lines.raw.get(loc))}"
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return f"{_dotted(loc)}: {msg}" if loc else msg


#: Ways an editor may write a date that YAML does not read as one (English month names).
_DATE_FORMATS = ("%d %B %Y", "%d %b %Y", "%B %d %Y", "%B %d, %Y", "%b %d, %Y", "%b %d %Y",
                 "%d %B, %Y", "%Y/%m/%d", "%Y.%m.%d")


def _date_hint(value, raw: str | None) -> str:
    """What to write for a date given as ``value`` (``raw`` as written, when YAML read it as
    something else): the same date in ISO 8601, when it reads as one."""
    written = raw if raw is not None else str(value)
    day = _parsed_date(written)
    if day:
        return f"'{written}' is not a date in the form YAML reads: write the date as {day.isoformat()}"
    return f"'{written}' is not a date: write the date as year-month-day, as in 2024-03-15"


def _csl_date_hint(value, raw: str | None) -> str:
    """What to write for a reference's date given as a plain value: CSL's date-parts."""
    day = value if isinstance(value, dt.date) else _parsed_date(raw if raw is not None else str(value))
    if day is None:
        return ("a reference's date is written as its parts, year, month, day, as in"
                " date-parts: [[2024, 3, 15]]")
    return ("a reference's date is written as its parts, year, month, day:"
            f" date-parts: [[{day.year}, {day.month}, {day.day}]]")


def _parsed_date(written: str) -> dt.date | None:
    """``written`` read in one of :data:`_DATE_FORMATS`, or None."""
    for form in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(" ".join(written.split()), form).date()
        except ValueError:
            continue
    return None


def _known_keys(schema: type[Model], loc: tuple) -> list[str]:
    """The keys a model accepts at a location, following nested models."""
    model = schema
    for part in loc:
        if isinstance(part, int):
            continue
        info = model.model_fields.get(part)
        inner = _inner_model(info.annotation) if info else None
        if inner is None:
            return []
        model = inner
    return [f.alias or name for name, f in model.model_fields.items()]


def _inner_model(annotation):
    """The model class inside an annotation such as ``tuple[Role, ...] | None``."""
    if isinstance(annotation, type) and issubclass(annotation, Model):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found:
            return found
    return None


def _dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _kind(value) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number",
            bool: "a boolean", dt.date: "a date", dt.datetime: "a date and time"}.get(type(value), type(value).__name__)


def _resolve_contents(root: Path, contents: Contents, lines: Lines, problems: Problems,
                      files: dict[str, bytes]) -> list[Spec]:
    """Check every entry's files exist inside the project and read the Markdown."""
    specs = []
    rel = "data/contents.yaml"
    listed: dict[Path, int | None] = {}  # each chapter once: its id names one file
    for part in PARTS:
        for i, entry in enumerate(getattr(contents, part)):
            line = lines.get((part, i))
            if entry.source is None and entry.template is None:
                problems.add("an entry needs a 'source' or a 'template'", rel, line)
                continue
            if entry.source is None and (entry.id is None or entry.title is None):
                problems.add(f"template entry '{entry.template}' needs an 'id' and a 'title'", rel, line)
            if entry.template is not None:
                template = _inside(root, "templates/sections", entry.template, problems, rel, line)
                if template and not resolve(root, f"sections/{entry.template}").is_file():
                    problems.add(f"template not found: templates/sections/{entry.template}", rel, line)
            source = text = None
            texts: list[tuple[str, str]] = []
            for name in entry.sources:
                path = _inside(root, "manuscript", name, problems, rel, line)
                if path is None:
                    continue
                shown = f"manuscript/{name}"
                if path in listed:
                    where = f" (line {listed[path]})" if listed[path] else ""
                    problems.add(f"{shown} is listed twice{where}: a chapter comes once in"
                                 " the reading order", rel, line)
                    continue
                listed[path] = line
                if not path.is_file():
                    problems.add(f"chapter not found: {shown}", rel, line)
                    continue
                try:
                    raw = lf(path.read_bytes())  # CRLF or LF: the same chapter
                except OSError as exc:
                    problems.add(f"cannot be read: {(exc.strerror or str(exc)).lower()}", shown)
                    continue
                files[shown] = raw
                try:
                    texts.append((shown, raw.decode("utf-8")))
                except UnicodeDecodeError as exc:
                    problems.add(f"not valid UTF-8 (byte {exc.start})", shown,
                                 raw[: exc.start].count(b"\n") + 1)
            if entry.sources and len(texts) < len(entry.sources):
                continue
            pieces: tuple[tuple[str, int], ...] = ()
            if texts:
                source, text = texts[0]
                if len(texts) > 1:
                    pieces, text = _join(texts)
            specs.append(Spec(part, entry, line, source, text, pieces))
    if not any(s.part == "body" for s in specs) and not problems:
        problems.add("the manuscript is empty: 'body' lists no chapter", rel)
    return specs


def _join(texts: list[tuple[str, str]]) -> tuple[tuple[tuple[str, int], ...], str]:
    """The files of one entry as one text, a blank line between them, and where each starts."""
    pieces, out, line = [], [], 1
    for shown, text in texts:
        text = text if text.endswith("\n") else text + "\n"
        pieces.append((shown, line))
        out.append(text + "\n")
        line += text.count("\n") + 1
    return tuple(pieces), "".join(out)


def _inside(root: Path, folder: str, name: str, problems: Problems, rel: str, line) -> Path | None:
    """Resolve ``folder/name``; refuse anything that leaves the folder (.., absolute, links)."""
    base = (root / folder).resolve()
    try:
        path = (base / name).resolve()
    except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError for a link loop
        problems.add(f"'{name}' is a link that leads back to itself (a loop)", rel, line)
        return None
    if Path(name).is_absolute() or not path.is_relative_to(base):
        problems.add(f"'{name}' must be a path inside {folder}/", rel, line)
        return None
    return path
