"""``folio new PATH``: a minimal project that builds at once, with a README of its own.

The skeleton (``skeleton/``) has the three files a project needs (the
publication, the reading order, one chapter) and a README explaining the
layout; the templates come from the default theme. The new project gets a
fresh ``urn:uuid`` identifier and today's date: this command, unlike a build,
makes something new, so it may read the clock and the random source.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from pathlib import Path
from string import Template

from folio.errors import BuildError
from folio.pipeline.output import write_tree

SKELETON = Path(__file__).resolve().parent / "skeleton"
#: Skeleton files whose ${placeholders} are filled in.
FILLED = ("README.md", "data/publication.yaml")
#: Skeleton files stored under another name (a package keeps no dotfiles).
RENAMED = {"gitignore": ".gitignore"}


def new_project(path: Path | str, title: str | None = None, publisher: str | None = None,
                today: dt.date | None = None) -> Path:
    """Write a new project at ``path`` (which must not exist, or be an empty folder)."""
    target = Path(path)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BuildError(f"'{target}' already exists and is not an empty folder:"
                         " choose a new path")
    day = today or dt.date.today()
    title = title or _title_of(target)
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "publication"
    if not slug[0].isalnum():
        slug = f"p-{slug}"
    publisher = publisher or "The Publisher"
    values = {
        "title": title, "title_yaml": _yaml(title), "slug": slug,
        "publisher_yaml": _yaml(publisher), "year": str(day.year), "date": day.isoformat(),
        "uuid": str(uuid.uuid4()), "rights_yaml": _yaml(f"© {day.year} {publisher}."),
    }
    files: dict[str, bytes] = {}
    for source in sorted(SKELETON.rglob("*")):
        if not source.is_file():
            continue
        rel = source.relative_to(SKELETON).as_posix()
        text = source.read_text("utf-8")
        if rel in FILLED:
            text = Template(text).substitute(values)
        files[RENAMED.get(rel, rel)] = text.encode("utf-8")
    return write_tree(target.resolve(), files)


def _title_of(path: Path) -> str:
    """A title from the folder's name: 'annual-report' -> 'Annual Report'."""
    words = re.split(r"[-_\s]+", path.resolve().name)
    return " ".join(w.capitalize() for w in words if w) or "A New Publication"


def _yaml(text: str) -> str:
    """A YAML scalar that reads back as ``text`` (a JSON string is valid YAML)."""
    return json.dumps(text, ensure_ascii=False)
